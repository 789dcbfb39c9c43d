package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// QueryAugmentation is one view under which every example is scored: an
// optional horizontal mirror followed by a shift of (DX, DY) pixels (right
// and down positive; vacated pixels are zero-filled by the trainer).
//
// Its text form, used in YAML and JSON, is "identity", or "mirror",
// "shift:DX,DY" or both joined by '+' ("mirror+shift:2,-1"), with |DX|,
// |DY| ≤ 32. Parsing accepts the parts in either order and with spaces;
// String gives the canonical form (mirror first; shift:0,0 dropped).
type QueryAugmentation struct {
	Mirror bool
	DX, DY int
}

// IsIdentity reports whether the augmentation leaves the input unchanged.
func (a QueryAugmentation) IsIdentity() bool { return !a.Mirror && a.DX == 0 && a.DY == 0 }

// String returns the canonical text form.
func (a QueryAugmentation) String() string {
	var parts []string
	if a.Mirror {
		parts = append(parts, "mirror")
	}
	if a.DX != 0 || a.DY != 0 {
		parts = append(parts, "shift:"+strconv.Itoa(a.DX)+","+strconv.Itoa(a.DY))
	}
	if len(parts) == 0 {
		return "identity"
	}
	return strings.Join(parts, "+")
}

// MarshalText returns the canonical text form.
func (a QueryAugmentation) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses the text form.
func (a *QueryAugmentation) UnmarshalText(text []byte) error {
	v, err := ParseQueryAugmentation(string(text))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

const augmentationGrammar = "want identity, mirror, shift:DX,DY or mirror+shift:DX,DY"

// ParseQueryAugmentation parses the text form described on QueryAugmentation.
func ParseQueryAugmentation(s string) (QueryAugmentation, error) {
	var a QueryAugmentation
	t := strings.TrimSpace(s)
	if t == "identity" {
		return a, nil
	}
	if t == "" {
		return a, fmt.Errorf("empty query augmentation; %s", augmentationGrammar)
	}
	var sawMirror, sawShift bool
	for _, p := range strings.Split(t, "+") {
		p = strings.TrimSpace(p)
		switch {
		case p == "mirror" && !sawMirror:
			sawMirror, a.Mirror = true, true
		case strings.HasPrefix(p, "shift:") && !sawShift:
			sawShift = true
			xy := strings.Split(strings.TrimPrefix(p, "shift:"), ",")
			if len(xy) != 2 {
				return QueryAugmentation{}, fmt.Errorf("%q is not a query augmentation: shift needs two offsets; %s", s, augmentationGrammar)
			}
			var err error
			if a.DX, err = parseShift(xy[0]); err != nil {
				return QueryAugmentation{}, fmt.Errorf("%q is not a query augmentation: %v", s, err)
			}
			if a.DY, err = parseShift(xy[1]); err != nil {
				return QueryAugmentation{}, fmt.Errorf("%q is not a query augmentation: %v", s, err)
			}
		default:
			return QueryAugmentation{}, fmt.Errorf("%q is not a query augmentation; %s", s, augmentationGrammar)
		}
	}
	return a, nil
}

func parseShift(s string) (int, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("shift offset %q is not an integer", s)
	}
	if v < -maxShift || v > maxShift {
		return 0, fmt.Errorf("shift offset %d is outside [-%d, %d]", v, maxShift, maxShift)
	}
	return v, nil
}
