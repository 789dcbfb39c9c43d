package artifacts

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
)

// GC deletes intermediate epoch checkpoints of finished models — those
// whose directory holds both final.safetensors and manifest.json — keeping
// the keepLast highest-numbered epochs of each. Unfinished models are left
// alone (their checkpoints are what a resumed training run needs). It
// returns the deleted keys in order; on error, the keys deleted so far.
func GC(ctx context.Context, s Store, keepLast int) ([]string, error) {
	if keepLast < 0 {
		return nil, fmt.Errorf("gc: keepLast %d must be >= 0", keepLast)
	}
	objs, err := s.List(ctx, modelsDir)
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	type epochKey struct {
		epoch int
		key   string
	}
	type model struct {
		final, manifest bool
		epochs          []epochKey
	}
	models := map[string]*model{}
	for _, o := range objs {
		mk, name, ok := ParseModelKey(o.Key)
		if !ok {
			continue
		}
		m := models[mk]
		if m == nil {
			m = &model{}
			models[mk] = m
		}
		switch name {
		case finalName:
			m.final = true
		case manifestName:
			m.manifest = true
		default:
			if n, ok := ParseEpochName(name); ok {
				m.epochs = append(m.epochs, epochKey{n, o.Key})
			}
		}
	}
	names := make([]string, 0, len(models))
	for mk := range models {
		names = append(names, mk)
	}
	sort.Strings(names)
	var deleted []string
	for _, mk := range names {
		m := models[mk]
		if !m.final || !m.manifest || len(m.epochs) <= keepLast {
			continue
		}
		sort.Slice(m.epochs, func(i, j int) bool { return m.epochs[i].epoch < m.epochs[j].epoch })
		for _, e := range m.epochs[:len(m.epochs)-keepLast] {
			if err := s.Delete(ctx, e.key); err != nil {
				return deleted, fmt.Errorf("gc: %w", err)
			}
			slog.DebugContext(ctx, "gc deleted checkpoint", "key", e.key, "store", s.String())
			deleted = append(deleted, e.key)
		}
	}
	return deleted, nil
}
