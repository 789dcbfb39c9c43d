package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPersistentFlagsFromEnv(t *testing.T) {
	t.Setenv(envTemporal, "temporal.example:7233")
	t.Setenv(envNamespace, "research")
	t.Setenv(envStateDir, "")
	root := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	if err := root.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	pf := root.PersistentFlags()
	for flag, want := range map[string]string{
		"temporal": "temporal.example:7233", "namespace": "research", "state-dir": ".umbra", "log-level": "warn",
	} {
		if got, _ := pf.GetString(flag); got != want {
			t.Errorf("--%s = %q, want %q", flag, got, want)
		}
	}
	// Flags override the environment.
	if err := root.ParseFlags([]string{"--namespace", "other"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := pf.GetString("namespace"); got != "other" {
		t.Errorf("--namespace = %q after flag", got)
	}
}

func run(ctx context.Context, args ...string) (string, string, error) {
	var out, errOut syncBuffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestServerErrors(t *testing.T) {
	t.Setenv(envTemporal, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "--temporal", "x:1"}, "names an existing cluster"},
		{[]string{"server", "--port", "-1"}, "--port -1"},
		{[]string{"server", "--log-level", "loud"}, "--log-level"},
		{[]string{"server", "--state-dir", dir, "--port", busy}, "choose another --port"},
		{[]string{"server", "extra"}, "unknown command"},
	} {
		_, _, err := run(context.Background(), c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error = %v, want %q", c.args, err, c.want)
		}
	}
}

func TestServerRunsUntilCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	t.Setenv(envTemporal, "")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs([]string{"server", "--state-dir", dir, "--port", "0", "--namespace", "umbra"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "ready ") {
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v\n%s", err, errOut.String())
		case <-deadline:
			t.Fatalf("no ready line; stderr:\n%s", errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	line := out.String()
	if !strings.Contains(line, "namespace=umbra") || !strings.Contains(line, dir) {
		t.Errorf("ready line %q lacks namespace or db path", line)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server returned %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("server did not stop after cancellation")
	}
}
