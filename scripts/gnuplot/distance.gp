# distance.gp — chart 6: latency vs one-way network delay to the store; stateless JWT lines stay flat.
# authbench sets: n, colors, dts, points (one word per block). datafile: one block per line, rows
# "delay ms [lo_ms hi_ms]" (the p99 blocks carry its 95 % interval, NaN when not measured).
load gpdir.'/common.gp'
set xrange [minx:maxx]
set yrange [0:*]
set xlabel 'one-way delay between app server and store (µs)'
set ylabel 'latency (ms)'
plot for [i=0:n-1] datafile index i using 1:2:3:4 with yerrorlines lw 2 dt int(word(dts,i+1)) pt int(word(points,i+1)) \
        lc rgb word(colors,i+1) title columnheader(2)
