# Grouped bars with 95% confidence-interval error bars: one group per workload (xtics),
# one bar per series (backend or run). Used alone (bars.gp) or as a panel (kernel.gp).
#
#   data        tab-separated: group number (1..ngroups), then for each series four
#               columns: value, CI low, CI high (NaN where not recorded), and where its
#               value label goes (above the error bar); the group's label last (for
#               people reading the file: tic labels come from the variables)
#   ngroups     groups on this page
#   nseries     bars per group
#   stitle[s]   series names, scolor[s] their colours
#   shasci[s]   1 if series s has confidence intervals to draw, else 0
#   shatch[s]   1: series s is drawn hatched in its colour (the workers' own counts
#               beside the device's, on the kernel chart), else solid
#   nxtic, xticlabel[i], xticpos[i]  the tic labels (label i at group xticpos[i])
#   xrotate     1: labels at 45 degrees (long labels or many groups)
#   ticlines    lines of the tallest tic label (labels may be wrapped)
#   showxtics   0 hides the labels (upper panels of a multi-panel chart)
#   xlabel, ylabel
#   ylog        1: logarithmic y axis; ymin, ymax its range
#   anyci       1 if any series has intervals (adds the legend entry)
#   showvalues  1: each bar's value printed above it (few bars), with gprintf(valueformat)
#   paneltitle  text in the upper left corner ('' for none); showkey 0 hides the legend
barwidth = 0.8 / nseries
col(s, k) = 1 + 4 * (s - 1) + k
offset(s) = (s - (nseries + 1) / 2.0) * barwidth
set boxwidth barwidth * 0.95 absolute
set style fill solid 0.85 border rgb '#505050'
# Room for at least three groups, so that one or two do not fill the width.
xpad = ngroups < 3 ? (3 - ngroups) / 2.0 : 0
set xrange [0.4 - xpad : ngroups + 0.6 + xpad]
# The scale before the range: a range from 0 on a log scale is refused.
if (ylog) { set logscale y; set mytics 10 } else { unset logscale y; set mytics }
set yrange [ymin : ymax]
set format y (valueformat eq '%.0f' ? '%.0f' : '%g')   # no 1e+06 on throughput axes
if (showxtics) {
    set xtics scale 0 ()
    do for [i=1:nxtic] { set xtics add (xticlabel[i] xticpos[i]) }
    if (xrotate) { set xtics rotate by 45 right } else { set xtics norotate center }
} else {
    set xtics scale 0 1 format ''
}
# Multi-line tic labels get no room of their own: push the x label down by the
# extra lines.
xlabeltext = xlabel
do for [i=2:ticlines] { xlabeltext = "\n" . xlabeltext }
set xlabel xlabeltext
set ylabel ylabel
if (showkey) { set key } else { unset key }
# A legend entry is sized even when its iteration is empty: give those an empty title.
citext = anyci ? '95% CI of the median' : ''
unset label 1
if (strlen(paneltitle) > 0) { set label 1 paneltitle at graph 0.01, graph 0.93 left front }
plot for [s=1:nseries] for [k=1:1-shatch[s]] data using ($1 + offset(s)):(column(col(s, 1))) \
         with boxes lc rgb scolor[s] title stitle[s], \
     for [s=1:nseries] for [k=1:shatch[s]] data using ($1 + offset(s)):(column(col(s, 1))) \
         with boxes fs pattern 4 border lc rgb scolor[s] lc rgb scolor[s] title stitle[s], \
     for [s=1:nseries] for [k=1:shasci[s]] data \
         using ($1 + offset(s)):(column(col(s, 2))):(0):(column(col(s, 3)) - column(col(s, 2))) \
         with vectors @errorheads lc rgb '#202020' lw 1.2 notitle, \
     for [s=1:nseries] for [k=1:showvalues] data \
         using ($1 + offset(s)):(column(col(s, 4))):(gprintf(valueformat, column(col(s, 1)))) \
         with labels center offset 0, 0.8 tc rgb '#303030' notitle, \
     for [k=1:anyci] keyentry with vectors @errorheads lc rgb '#202020' lw 1.2 \
         title citext
