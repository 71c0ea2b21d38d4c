# io.gp — chart 4: I/O per request in four panels (wire, store, disk, round trips and fsyncs).
# datafile rows: "label" request_bytes credential_bytes store_bytes disk_read disk_written round_trips fsyncs
width = 1150
height = 900
load gpdir.'/common.gp'
unset title
set multiplot layout 2,2 title fulltitle noenhanced font ',13'
set style data histograms
set style histogram clustered gap 1
set xtics rotate by 40 right noenhanced font ',9'
set yrange [0:*]
set key inside top right noreverse Right box opaque
set bmargin 9
set lmargin 10
set ylabel 'bytes per request'
set title 'client → server (on the wire)' noenhanced
plot datafile using 2:xtic(1) lc rgb '#0072B2' title 'request bytes', '' using 3 lc rgb '#E69F00' title 'credential bytes'
set title 'app server ↔ session store' noenhanced
plot datafile using 4:xtic(1) lc rgb '#009E73' title 'store network bytes'
set title 'disk' noenhanced
plot datafile using 5:xtic(1) lc rgb '#56B4E9' title 'disk bytes read', '' using 6 lc rgb '#D55E00' title 'disk bytes written'
set title 'operations' noenhanced
set ylabel 'per request'
plot datafile using 7:xtic(1) lc rgb '#CC79A7' title 'store round trips', '' using 8 lc rgb '#000000' title 'fsyncs'
unset multiplot
