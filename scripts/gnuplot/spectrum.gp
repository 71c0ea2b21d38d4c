# spectrum.gp — chart 2: latency by percentile on a "nines" axis (x = 1/(1-p)), one line per mechanism.
# authbench sets: n, colors, points, dashes, maxx. datafile: one block per series, header then "x latency_ms" rows.
load gpdir.'/common.gp'
set logscale x 10
set logscale y 10
set xrange [1.5:maxx]
set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000)
set xlabel 'percentile (log scale of 1/(1-p))'
set ylabel 'latency (ms, log scale)'
plot for [i=0:n-1] datafile index i using 1:2 with lines lw 2 dt int(word(dashes,i+1)) lc rgb word(colors,i+1) title columnheader(2)
