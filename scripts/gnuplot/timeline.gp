# A workload's time series, one run per backend, in two panels over one time axis: the
# throughput of each interval (steps) with the levels it settled at (thick translucent
# segments, dashed lines where a level begins) and the block device's reads on the right
# axis (dotted); below, the page faults per second with the file's share in the page
# cache on the right axis (dotted).
#
#   data        tab-separated, six blocks per series s (index 6(s-1) + 0..5):
#                 0  interval start (s), throughput (MiB/s); the last end repeats the last
#                 1  interval start, device reads (MiB/s)
#                 2  interval start, page faults per second (minor + major)
#                 3  time (s), resident share of the file (%)
#                 4  level: start (s), throughput (MiB/s), length (s)
#                 5  start of each level after the first (s)
#               A block a series lacks holds one row of zeros: gnuplot reads the data of
#               an empty iteration too (and warns when it has no valid point).
#   nseries     series (backends); stitle[s], scolor[s], salpha[s] (the colour, translucent),
#               sdash[s]
#   sdev[s], sfaults[s], sres[s], slevels[s]  1 when series s has that block to draw
#   schanges[s] 1 when series s has more than one level (a change to mark)
#   anydev, anyres, anylevels  1 when any series has one (the right axes, legend entries)
#   xmax        end of the time axis (s)
#   ymax1, y2max1  ranges of the upper panel's axes; ymax2 of the lower's
#   mleft, mright, mbottom, mtop  panel area, in screen fractions
load tpldir . 'common.gp'
unset title
set multiplot layout 2, 1 title title . "\n" . subtitle \
    margins mleft, mright, mbottom, mtop spacing 0, 0.06
set key inside top left horizontal opaque box lc rgb '#c0c0c0' samplen 2.5 width 1 maxrows 2
set xrange [0 : xmax]
set grid xtics ytics
set border 11
set ytics nomirror
block(s, k) = 6 * (s - 1) + k
# Legend entries are sized even when their iteration is empty: give those empty titles.
devtext = anydev ? 'device reads (right axis, system-wide)' : ''
leveltext = anylevels ? 'levels the throughput settled at' : ''
restext = anyres ? 'resident share of the file (right axis)' : ''

set format x ''
set xlabel ''
set ylabel 'throughput per interval (MiB/s)'
set yrange [0 : ymax1]
if (anydev) {
    set y2tics nomirror
    set y2range [0 : y2max1]
    set y2label 'device reads (MiB/s)'
} else {
    unset y2tics
    unset y2label
}
plot for [s=1:nseries] data index block(s, 0) using 1:2 with steps lc rgb scolor[s] \
         dt sdash[s] lw 1.6 title stitle[s], \
     for [s=1:nseries] for [k=1:slevels[s]] data index block(s, 4) using 1:2:3:(0) \
         with vectors nohead lc rgb salpha[s] lw 7 notitle, \
     for [s=1:nseries] for [k=1:schanges[s]] data index block(s, 5) \
         using 1:(0):(0):(ymax1) with vectors nohead lc rgb scolor[s] dt 2 lw 1 notitle, \
     for [s=1:nseries] for [k=1:sdev[s]] data index block(s, 1) using 1:2 axes x1y2 \
         with steps lc rgb scolor[s] dt 3 lw 1.3 notitle, \
     for [k=1:anylevels] keyentry with lines lc rgb '#90808080' lw 7 title leveltext, \
     for [k=1:anydev] keyentry with lines lc rgb '#606060' dt 3 lw 1.3 title devtext

set format x '% h'
set xlabel 'time since the workers started (s)'
set ylabel 'page faults / s'
set yrange [0 : ymax2]
if (anyres) {
    set y2tics nomirror
    set y2range [0 : 145]   # headroom for the legend, as on the left axis
    set y2label 'resident (% of the file)'
} else {
    unset y2tics
    unset y2label
}
plot for [s=1:nseries] for [k=1:sfaults[s]] data index block(s, 2) using 1:2 with steps \
         lc rgb scolor[s] dt sdash[s] lw 1.6 title stitle[s], \
     for [s=1:nseries] for [k=1:sres[s]] data index block(s, 3) using 1:2 axes x1y2 \
         with lines lc rgb scolor[s] dt 3 lw 1.3 notitle, \
     for [k=1:anyres] keyentry with lines lc rgb '#606060' dt 3 lw 1.3 title restext
unset multiplot
set output
