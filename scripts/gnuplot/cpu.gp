# cpu.gp — chart 3: server CPU µs per request, split into authenticate() (the mechanism's colour) and
# HTTP + other (grey); hatched when the split was not measured; error bars: the 95 % interval of the
# median over repetitions (schema 3; none when not measured). datafile rows:
# index "label" auth_us other_us unsplit_us rgb ci95_low_us ci95_high_us server_cpu_us
load gpdir.'/common.gp'
set xtics rotate by 35 right noenhanced
set bmargin 10
set key outside right top box opaque
set xrange [-0.6:n-0.4]
set yrange [0:*]
set ylabel 'server CPU per request (µs)'
set boxwidth 0.7
plot datafile using 1:($3+$4):xtic(2) with boxes lc rgb '#c8c8c8' title 'HTTP + other (server CPU - auth)', \
     '' using 1:3:6 with boxes lc rgb variable notitle, \
     '' using 1:5 with boxes fs pattern 4 lc rgb '#666666' title 'server CPU, split not measured', \
     '' using 1:9:7:8 with yerrorbars pt 0 lw 1.5 lc rgb '#000000' title '95% interval (repetitions)', \
     NaN with boxes lc rgb '#0072B2' title "authenticate() (bar in the mechanism's colour)"
