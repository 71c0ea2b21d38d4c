# io.gp — chart 4: I/O per request in four panels (wire, store, disk, round trips and fsyncs).
# datafile rows: "label" request_bytes credential_bytes store_bytes disk_read disk_written round_trips fsyncs
#                nm_wire nm_store nm_disk nm_ops ("n/m" where a figure of that panel was not measured)
# authbench sets rows (data rows) and m1..m4 (1 when the panel has any measured figure).
width = 1150
height = 900
load gpdir.'/common.gp'
unset title
set multiplot layout 2,2 title fulltitle noenhanced font ',13'
set style data histograms
set style histogram clustered gap 1
set xtics rotate by 40 right noenhanced font ',9'
set xrange [-0.5:rows-0.5]
set key inside top right noreverse Right box opaque
set bmargin 9
set lmargin 10
# "not measured" is a grey n/m label at the bar's foot, never a zero-height bar.
nm_style = "with labels textcolor rgb '#888888' font ',9' notitle"
set ylabel 'bytes per request'
set title 'client → server (on the wire)' noenhanced
set yrange [0:*]
if (m1) { plot datafile using 2:xtic(1) lc rgb '#0072B2' title 'request bytes', '' using 3 lc rgb '#E69F00' title 'credential bytes', '' using 0:(0):9 @nm_style } else { set yrange [0:1]; plot datafile using 0:(0.5):9:xtic(1) @nm_style }
set title 'app server ↔ session store' noenhanced
set yrange [0:*]
if (m2) { plot datafile using 4:xtic(1) lc rgb '#009E73' title 'store network bytes', '' using 0:(0):10 @nm_style } else { set yrange [0:1]; plot datafile using 0:(0.5):10:xtic(1) @nm_style }
set title 'disk' noenhanced
set yrange [0:*]
if (m3) { plot datafile using 5:xtic(1) lc rgb '#56B4E9' title 'disk bytes read', '' using 6 lc rgb '#D55E00' title 'disk bytes written', '' using 0:(0):11 @nm_style } else { set yrange [0:1]; plot datafile using 0:(0.5):11:xtic(1) @nm_style }
set title 'operations' noenhanced
set ylabel 'per request'
set yrange [0:*]
if (m4) { plot datafile using 7:xtic(1) lc rgb '#CC79A7' title 'store round trips', '' using 8 lc rgb '#000000' title 'fsyncs', '' using 0:(0):12 @nm_style } else { set yrange [0:1]; plot datafile using 0:(0.5):12:xtic(1) @nm_style }
unset multiplot
