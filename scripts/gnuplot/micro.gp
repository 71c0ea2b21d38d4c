# micro.gp — chart 5: JWT verify and sign time per algorithm beside the bare OpenSSL floor and the
# libjwt peer (Google Benchmark, median of repetitions with its bootstrap 95 % interval as
# error bars). datafile rows: ALG, then verify floor peer sign, each as "us low high".
width = 1100
load gpdir.'/common.gp'
set style data histograms
set style histogram errorbars gap 1.5 lw 1
set logscale y 10
set yrange [*:*]
set xtics rotate by 40 right noenhanced font ',10'
set bmargin 6
set ylabel 'time per operation (µs, log scale)'
set xlabel 'algorithm'
plot datafile using 2:3:4:xtic(1) lc rgb '#0072B2' title 'authbench verify', \
     '' using 5:6:7 lc rgb '#009E73' title 'OpenSSL floor (verify)', \
     '' using 8:9:10 lc rgb '#CC79A7' title 'libjwt verify (peer)', \
     '' using 11:12:13 lc rgb '#E69F00' title 'authbench sign'
