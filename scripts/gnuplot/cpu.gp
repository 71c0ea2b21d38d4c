# cpu.gp — chart 3: server CPU µs per request, split into authenticate() (the mechanism's colour) and
# HTTP + other (grey); hatched when the split was not measured. datafile rows:
# index "label" auth_us other_us unsplit_us rgb
load gpdir.'/common.gp'
set xtics rotate by 35 right noenhanced
set bmargin 10
set key inside top left box opaque
set xrange [-0.6:n-0.4]
set yrange [0:*]
set ylabel 'server CPU per request (µs)'
set boxwidth 0.7
plot datafile using 1:($3+$4):xtic(2) with boxes lc rgb '#c8c8c8' title 'HTTP + other (server CPU - auth)', \
     '' using 1:3:6 with boxes lc rgb variable notitle, \
     '' using 1:5 with boxes fs pattern 4 lc rgb '#666666' title 'server CPU, split not measured', \
     NaN with boxes lc rgb '#0072B2' title "authenticate() (bar in the mechanism's colour)"
