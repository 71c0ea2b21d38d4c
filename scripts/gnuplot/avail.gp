# avail.gp — chart 7: requests/s each second through the store-outage cells, a line at the fault.
# authbench sets: n, colors, fault (seconds). datafile: blocks of "second rps failed_per_s" per cell.
load gpdir.'/common.gp'
set yrange [0:*]
set xlabel 'second of the measured window'
set ylabel 'requests/s'
set arrow 1 from fault, graph 0 to fault, graph 1 nohead dt 3 lw 2 lc rgb '#333333'
set label 1 'store stopped' at fault, graph 1.03 center font ',10'
plot for [i=0:n-1] datafile index i using 1:2 with linespoints lw 2 pt int(word(points,i+1)) ps 0.7 lc rgb word(colors,i+1) title columnheader(2), \
     for [i=0:n-1] datafile index i using 1:3 with lines lw 1.5 dt 2 lc rgb word(colors,i+1) notitle, \
     NaN with lines dt 2 lw 1.5 lc rgb '#444444' title 'dashed: failed requests/s'
