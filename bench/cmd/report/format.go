package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sig formats v with three significant digits at most, without exponent.
func sig(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// fmtTime formats a duration in seconds with a unit from ns to s.
func fmtTime(sec float64) string {
	switch ns := sec * 1e9; {
	case ns < 1e3:
		return sig(ns) + " ns"
	case ns < 1e6:
		return sig(ns/1e3) + " µs"
	case ns < 1e9:
		return sig(ns/1e6) + " ms"
	default:
		return sig(ns/1e9) + " s"
	}
}

// fmtBytes formats a byte count with a binary unit.
func fmtBytes(b float64) string {
	switch {
	case b < 1<<10:
		return strconv.FormatFloat(b, 'f', 0, 64) + " B"
	case b < 1<<20:
		return sig(b/(1<<10)) + " KiB"
	case b < 1<<30:
		return sig(b/(1<<20)) + " MiB"
	default:
		return sig(b/(1<<30)) + " GiB"
	}
}

// fmtCount formats a count with thousands separators, and one decimal if
// it is not whole (a median of an even number of runs).
func fmtCount(v float64) string {
	whole := math.Round(v)
	if math.Abs(v-whole) > 1e-9 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatFloat(whole, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtStmts formats statements per operation with up to two decimals.
func fmtStmts(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// fmtRatio formats a ratio as "1.07x".
func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return sig(v) + "x"
}

// fmtSpread formats a relative spread as "±3%".
func fmtSpread(f float64) string {
	switch p := f * 100; {
	case math.IsNaN(p):
		return "—"
	case p == 0:
		return "±0%"
	case p < 1:
		return "±<1%"
	default:
		return fmt.Sprintf("±%.0f%%", p)
	}
}

// fmtPct formats a fraction as a whole percentage, "12%".
func fmtPct(f float64) string {
	if f*100 < 1 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// fmtPctFine formats a fraction as a percentage with one decimal, "2.4%".
func fmtPctFine(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// fmtInterval formats a ratio's interval, "0.98x–1.20x", or "" when it
// has none or its bounds look the same.
func fmtInterval(r ratio) string {
	lo, hi := fmtRatio(r.Lo), fmtRatio(r.Hi)
	if math.IsNaN(r.Lo) || math.IsNaN(r.Hi) || lo == hi {
		return ""
	}
	return lo + "–" + hi
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// code wraps s in a markdown code span, with enough backticks.
func code(s string) string {
	ticks := "`"
	for strings.Contains(s, ticks) {
		ticks += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return ticks + " " + s + " " + ticks
	}
	return ticks + s + ticks
}
