# Latency percentile curves from mmbench's histograms: x the latency (log scale), y the
# share of operations (or flushes) faster than it, on a scale that spreads the tail
# (50, 90, 99, 99.9 ... evenly). The curve stops at the last histogram bucket's lower
# bound: the maximum is in the legend.
#
#   data        tab-separated, one block per curve: latency_ns, percentile
#   nseries, stitle[s], scolor[s], sdash[s]
#   xmin, xmax  x range in ns; nxtic, xticlabel[i], xticpos[i] its tics ('1us' at 1000)
#   ymax        highest percentile shown (99, 99.9, ...); nytic, yticlabel[i], yticpos[i]
#   xlabel, ylabel
load tpldir . 'common.gp'
set logscale x
set xrange [xmin : xmax]
set xtics ()
do for [i=1:nxtic] { set xtics add (xticlabel[i] xticpos[i]) }
set mxtics 10
set nonlinear y via -log10(1 - y / 100) inverse 100 * (1 - 10**(-y))
set yrange [0 : ymax]
set ytics ()
do for [i=1:nytic] { set ytics add (yticlabel[i] yticpos[i]) }
set grid xtics ytics mxtics
set xlabel xlabel
set ylabel ylabel
set key inside top left vertical opaque box lc rgb '#c0c0c0'
plot for [s=1:nseries] data index (s - 1) using 1:2 with lines lc rgb scolor[s] dt sdash[s] \
         lw 2.2 title stitle[s]
set output
