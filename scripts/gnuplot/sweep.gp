# sweep.gp — chart 8: p99 latency vs achieved throughput of each rate sweep, with the SLO line.
# authbench sets: n, colors, points, dashes (one word per block), slo (ms). datafile: one block per
# sweep, rows "rate p99_ms lo_ms hi_ms reached". More than 8 sweeps are split into small multiples
# of at most 8 series each, so no colour and marker pair repeats within a panel.
width = 1000
load gpdir.'/common.gp'
panels = int(ceil(n / 8.0))
if (panels > 1) { height = 420 * panels; set multiplot layout panels,1 title fulltitle noenhanced font ',13'; unset title }
set logscale y
set xrange [0:*]
set xlabel 'achieved throughput (req/s)'
set ylabel 'p99 latency (ms)'
# The SLO is plotted as a function, not an arrow, so the y range always reaches it.
do for [p=0:panels-1] {
    lo = 8 * p
    hi = (8 * p + 7 < n - 1) ? 8 * p + 7 : n - 1
    plot for [i=lo:hi] datafile index i using 1:($5 > 0 ? $2 : NaN):3:4 with yerrorlines lw 2 dt int(word(dashes,i+1)) \
            pt int(word(points,i+1)) ps 1.2 lc rgb word(colors,i+1) title columnheader(2), \
         for [i=lo:hi] datafile index i using 1:($5 > 0 ? NaN : $2) with points pt 6 ps 1.6 lc rgb word(colors,i+1) notitle, \
         slo with lines lw 2 dt 2 lc rgb '#D55E00' title sprintf('SLO p99 %g ms', slo)
}
if (panels > 1) { unset multiplot }
