# avail.gp — chart 7: goodput and failed answers per second through the store-outage cells, a line at
# the fault. authbench sets: n, colors, points, fault (seconds). datafile: blocks of "second goodput_per_s
# failed_per_s" per cell, each second's bucket [s, s+1) drawn as a step (a last row closes it).
width = 1100
load gpdir.'/common.gp'
set yrange [0:*]
set xlabel 'second of the measured window (each step is one second)'
set ylabel 'answers per second'
set arrow 1 from fault, graph 0 to fault, graph 1 nohead dt 3 lw 2 lc rgb '#333333'
set label 1 'store stopped' at fault, graph 1.03 center font ',10'
plot for [i=0:n-1] datafile index i using 1:2 with steps lw 2 lc rgb word(colors,i+1) title columnheader(2), \
     for [i=0:n-1] datafile index i using 1:3 with steps lw 1.5 dt 2 lc rgb word(colors,i+1) notitle, \
     NaN with lines lw 2 lc rgb '#444444' title 'solid: goodput (2xx)', \
     NaN with lines dt 2 lw 1.5 lc rgb '#444444' title 'dashed: failed answers/s'
