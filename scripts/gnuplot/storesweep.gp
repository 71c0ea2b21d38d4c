# storesweep.gp — chart 10: per-second p99 through each store-sweep cell, a dotted line where its
# sweep starts. authbench sets: n, colors, points, ats (one sweep start in seconds per block).
# datafile: blocks of "second p99_ms" per cell, each second's bucket [s, s+1) drawn as a step.
width = 1100
load gpdir.'/common.gp'
set logscale y
set xlabel 'second of the measured window (each step is one second)'
set ylabel 'p99 latency in that second (ms)'
do for [i=1:n] {
    set arrow i from word(ats,i)+0, graph 0 to word(ats,i)+0, graph 1 nohead dt 3 lw 2 lc rgb word(colors,i)
}
set label 1 'sweep starts' at word(ats,1)+0, graph 1.03 center font ',10'
plot for [i=0:n-1] datafile index i using 1:2 with steps lw 2 lc rgb word(colors,i+1) title columnheader(2)
