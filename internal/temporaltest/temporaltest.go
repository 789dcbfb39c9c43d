package temporaltest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvStarterBin names an already-built umbra-starter binary; when set,
// BuildStarter returns it instead of building.
const EnvStarterBin = "UMBRA_STARTER_BIN"

// PortsUsed mirrors the starter's devserver: the frontend port and the
// next seven.
const PortsUsed = 8

// BuildStarter builds ./cmd/starter into a temporary directory (or returns
// $UMBRA_STARTER_BIN) and returns the binary's path. moduleRoot is the
// directory holding go.mod.
func BuildStarter(t testing.TB, moduleRoot string) string {
	t.Helper()
	if bin := os.Getenv(EnvStarterBin); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "umbra-starter")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/starter")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building umbra-starter: %v\n%s", err, out)
	}
	return bin
}

// ModuleRoot walks up from the working directory to the directory holding
// go.mod, failing t when there is none.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// FindModuleRoot walks up from the working directory to the directory
// holding go.mod.
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// FreePortBlock returns the first of n consecutive free TCP ports on
// 127.0.0.1.
func FreePortBlock(n int) (int, error) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("probing for a free port: %w", err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if p+n-1 > 65535 {
			continue
		}
		ok := true
		for q := p; q < p+n && ok; q++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(q)))
			if err != nil {
				ok = false
				continue
			}
			_ = l.Close()
		}
		if ok {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no block of %d free ports found", n)
}

// Server is an umbra-starter server process.
type Server struct {
	Bin       string
	DB        string
	Port      int
	Namespace string
	// Log receives the process's stderr (nil: discarded).
	Log io.Writer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Addr is the frontend address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// Start runs the server process and waits (up to timeout) for its ready
// line.
func (s *Server) Start(ctx context.Context, timeout time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("temporaltest: server already running")
	}
	args := []string{"server", "--db", s.DB, "--port", strconv.Itoa(s.Port)}
	if s.Namespace != "" {
		args = append(args, "--namespace", s.Namespace)
	}
	cmd := exec.Command(s.Bin, args...)
	cmd.Env = append(os.Environ(), "UMBRA_TEMPORAL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if s.Log != nil {
		cmd.Stderr = s.Log
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("temporaltest: starting %s: %w", s.Bin, err)
	}
	done := make(chan struct{})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "ready ") {
				select {
				case ready <- line:
				default:
				}
			}
		}
	}()
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	select {
	case <-ready:
		s.cmd, s.done = cmd, done
		return nil
	case <-done:
		return fmt.Errorf("temporaltest: server exited before ready: %v", waitErr)
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("temporaltest: server on port %d not ready within %v", s.Port, timeout)
}

// Kill sends SIGKILL and waits for the process to exit: a crash.
func (s *Server) Kill() error { return s.stop(syscall.SIGKILL) }

// Stop sends SIGTERM and waits for a clean exit.
func (s *Server) Stop() error { return s.stop(syscall.SIGTERM) }

func (s *Server) stop(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("temporaltest: signalling server: %w", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
	return nil
}
