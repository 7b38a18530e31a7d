# Turns JMH's CSV result of MpscThroughput (-rf csv) into a table of transfers/s with ratios to
# ArrayBlockingQueue and to JCTools' MpscArrayQueue at the same producer count. Used by bench/jmh.sh.
NR == 1 { next }
{
  for (i = 1; i <= NF; i++) gsub(/["\r]/, "", $i)
  p = $8; q = $9; score[p "/" q] = $5; err[p "/" q] = $6
  if (!(p in seen)) { seen[p] = 1; ps[++np] = p }
  if (!(q in qseen)) { qseen[q] = 1; qs[++nq] = q }
}
END {
  printf "%-9s %-13s %14s %12s %8s %11s\n", "producers", "queue", "transfers/s", "+-99.9%", "vs ABQ", "vs JCTools"
  for (i = 1; i <= np; i++) {
    for (j = 1; j <= nq; j++) {
      k = ps[i] "/" qs[j]
      if (!(k in score)) continue
      abq = score[ps[i] "/ABQ"] + 0; jc = score[ps[i] "/JCTOOLS"] + 0
      rabq = 0; rjc = 0
      if (abq > 0) rabq = score[k] / abq
      if (jc > 0) rjc = score[k] / jc
      e = err[k]
      if (e ~ /^[0-9.]+$/) e = sprintf("%.0f", e)
      printf "%-9s %-13s %14.0f %12s %7.2fx %10.2fx\n", ps[i], qs[j], score[k], e, rabq, rjc
    }
  }
}
