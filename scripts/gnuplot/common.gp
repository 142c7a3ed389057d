# Set-up shared by every chart template. scripts/plot writes a driver script per chart that
# sets the variables below and loads a template once for each output format.
#
# Text from results files (workload names, labels, titles, paths) arrives only as the
# values of string variables, which gnuplot never evaluates: never use such a variable
# in an @ macro, and write no text of a results file into a template (see
# scripts/mmcharts/gnuplot.py for what gnuplot evaluates).
#
#   fmt       'png' or 'svg'
#   pngterm   'pngcairo', or 'png' (libgd) where gnuplot lacks cairo
#   outbase   output path without the extension
#   width     chart size in pixels
#   height
#   title     what was measured (first title line)
#   subtitle  where: CPU, kernel, filesystem (second title line)
#
# Text is not "enhanced": workload names hold underscores that would become subscripts.
reset
# Strings are UTF-8: sized by characters, not bytes.
set encoding utf8
if (fmt eq 'svg') {
    set terminal svg noenhanced size width, height font 'DejaVu Sans,10' background '#ffffff'
} else {
    if (pngterm eq 'pngcairo') {
        set terminal pngcairo noenhanced size width, height font 'DejaVu Sans,10'
    } else {
        set terminal png noenhanced size width, height
    }
}
set output outbase . '.' . fmt
set datafile separator "\t"
set title title . "\n" . subtitle
set key below center horizontal samplen 2.5 spacing 1.1 width 1
set grid ytics lc rgb '#dddddd' lw 1 lt 1
set border 3
set tics nomirror
set rmargin 4
# Error bars are drawn as vectors with flat heads: yerrorbars leaves a gap at the point.
errorheads = 'heads size screen 0.006,90 filled'
