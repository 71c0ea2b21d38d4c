# common.gp — terminal, colours and style shared by every authbench chart template.
# authbench sets: fmt ('svg' or 'png'), out, datafile, gpdir, title, subtitle; templates may set width/height
# first. Per-series styles come as word lists: colors (Okabe-Ito), points, dashes.
if (!exists("width")) width = 900
if (!exists("height")) height = 540
if (fmt eq 'png') {
    set terminal pngcairo size width,height enhanced font 'sans,10' background '#ffffff'
} else {
    set terminal svg size width,height dynamic enhanced font 'sans,12' background '#ffffff'
}
set output out
set encoding utf8
if (!exists("subtitle")) subtitle = ''
fulltitle = strlen(subtitle) > 0 ? title."\n".subtitle : title
set title fulltitle noenhanced font ',13'
set border 3 lc rgb '#444444'
set tics nomirror
set grid lc rgb '#e0e0e0' lt 1
set key outside right top vertical Left reverse noenhanced samplen 2.5 spacing 1.1
set datafile missing 'NaN'
set style fill solid 0.9 border lc rgb '#333333'
set lmargin 11
