# micro.gp — chart 5: JWT verify and sign time per algorithm beside the bare OpenSSL floor and the
# libjwt peer (Google Benchmark, median of repetitions). datafile rows: ALG verify floor peer sign (µs).
load gpdir.'/common.gp'
set style data histograms
set style histogram clustered gap 1.5
set logscale y 10
set yrange [*:*]
set ylabel 'time per operation (µs, log scale)'
set xlabel 'algorithm'
plot datafile using 2:xtic(1) lc rgb '#0072B2' title 'authbench verify', \
     '' using 3 lc rgb '#009E73' title 'OpenSSL floor (verify)', \
     '' using 4 lc rgb '#CC79A7' title 'libjwt verify (peer)', \
     '' using 5 lc rgb '#E69F00' title 'authbench sign'
