# throughput.gp — chart 1: requests/s vs app servers per mechanism, measured points and the capacity
# model's projection (dashed). authbench sets: n (series), colors, points, dashes (one word per series),
# maxservers. datafile: blocks 0..n-1 measured, n..2n-1 projection; each block's first line is a header.
# More than 8 series are split into small multiples of at most 8, so no colour and marker pair repeats.
panels = int(ceil(n / 8.0))
if (panels > 1) { width = 1000; height = 460 * panels }
load gpdir.'/common.gp'
if (panels > 1) { set multiplot layout panels,1 title fulltitle noenhanced font ',13'; unset title }
set logscale x 2
set logscale y 10
set xrange [0.85:maxservers*1.2]
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256)
set format y '%.0s%c'
set xlabel 'app servers (N), log scale'
set ylabel 'requests/s (log scale)'
do for [p=0:panels-1] {
    lo = 8 * p
    hi = (8 * p + 7 < n - 1) ? 8 * p + 7 : n - 1
    plot for [i=lo:hi] datafile index i using 1:2 with linespoints lw 2 dt int(word(dashes,i+1)) pt int(word(points,i+1)) ps 1.2 \
            lc rgb word(colors,i+1) title columnheader(2), \
         for [i=lo:hi] datafile index (n+i) using 1:2 with lines dt 2 lw 1.5 lc rgb word(colors,i+1) notitle, \
         NaN with lines dt 2 lw 1.5 lc rgb '#444444' title 'projection (capacity model)'
}
if (panels > 1) { unset multiplot }
