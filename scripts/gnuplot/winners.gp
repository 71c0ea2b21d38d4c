# winners.gp — chart 9: the verdict of the decision rule over store distance × peak load (model-based).
# authbench sets: nx, ny, xt, yt (the axis values as word lists). datafile rows: "x y rgb verdict".
width = 1000
height = 560
load gpdir.'/common.gp'
set xrange [-0.5:nx-0.5]
set yrange [-0.5:ny-0.5]
set xtics () noenhanced
set ytics () noenhanced
do for [i=1:nx] { set xtics add (word(xt,i) i-1) }
do for [j=1:ny] { set ytics add (word(yt,j) j-1) }
set xlabel 'one-way store distance (µs)'
set ylabel 'peak load (req/s)'
set grid noxtics noytics
unset key
plot datafile using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 0.85 border lc rgb '#ffffff' lc rgb variable, \
     '' using 1:2:4 with labels font ',8' noenhanced
