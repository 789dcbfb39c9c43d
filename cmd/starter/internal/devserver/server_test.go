package devserver

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

func TestCheckPortsFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	// The busy port is the third of the block.
	err = CheckPortsFree("127.0.0.1", busy-2, 4)
	if !errors.Is(err, ErrPortBusy) || !strings.Contains(err.Error(), "port "+strconv.Itoa(busy)) {
		t.Fatalf("error = %v, want ErrPortBusy naming port %d", err, busy)
	}
	p, err := FreePortBlock("127.0.0.1", 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPortsFree("127.0.0.1", p, 8); err != nil {
		t.Fatalf("block from FreePortBlock is busy: %v", err)
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Port: busy, DBPath: filepath.Join(dir, "a.db")}, "already in use"},
		{Config{Port: busy - offsetWorker, DBPath: filepath.Join(dir, "a.db")}, "already in use"},
		{Config{Port: 70000}, "out of range"},
		{Config{Port: 65530}, "out of range"},
		{Config{IP: "not-an-ip", Port: 1}, "not an IP"},
		{Config{DBPath: filepath.Join(dir, "missing", "x.db")}, "directory for database file"},
		{Config{Namespaces: []string{""}}, "empty namespace"},
	} {
		s, err := Start(context.Background(), c.cfg)
		if err == nil {
			_ = s.Stop()
			t.Errorf("Start(%+v) succeeded", c.cfg)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Start(%+v) error = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestBuildConfigPorts(t *testing.T) {
	conf := buildConfig(Config{IP: "127.0.0.1", Port: 17000}, nil)
	for svc, want := range map[string][2]int{
		"frontend": {17000, 17000 + offsetFrontendMembership},
		"history":  {17001, 17000 + offsetHistoryMembership},
		"matching": {17002, 17000 + offsetMatchingMembership},
		"worker":   {17003, 17000 + offsetWorkerMembership},
	} {
		rpc := conf.Services[svc].RPC
		if rpc.GRPCPort != want[0] || rpc.MembershipPort != want[1] {
			t.Errorf("%s: grpc %d membership %d, want %v", svc, rpc.GRPCPort, rpc.MembershipPort, want)
		}
	}
	if PortsUsed() != 8 || conf.PublicClient.HostPort != "127.0.0.1:17000" {
		t.Errorf("PortsUsed %d, public client %q", PortsUsed(), conf.PublicClient.HostPort)
	}
}

func describe(t *testing.T, addr, ns string) error {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: ns, Logger: quietSDKLogger()})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	return err
}

// TestStartStopRestart runs the real server on a file DB, stops it and
// starts it again on the same file and ports.
func TestStartStopRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	db := filepath.Join(t.TempDir(), "temporal.db")
	cfg := Config{DBPath: db, Namespaces: []string{"umbra-test"}}
	t0 := time.Now()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold start (schema creation included): %v", time.Since(t0))
	addr := s.Addr()
	for _, ns := range []string{"default", "umbra-test"} {
		if err := describe(t, addr, ns); err != nil {
			t.Errorf("namespace %q: %v", ns, err)
		}
	}
	if err := describe(t, addr, "no-such-namespace"); err == nil {
		t.Error("unknown namespace described without error")
	}
	// A second server on the same ports fails cleanly instead of panicking.
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	if s2, err := Start(context.Background(), Config{Port: p}); !errors.Is(err, ErrPortBusy) {
		if s2 != nil {
			_ = s2.Stop()
		}
		t.Errorf("second server on busy port: %v, want ErrPortBusy", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	cfg.Port = p
	t0 = time.Now()
	s, err = Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("restart on existing DB: %v", err)
	}
	defer s.Stop()
	t.Logf("restart on existing DB: %v", time.Since(t0))
	if err := describe(t, s.Addr(), "umbra-test"); err != nil {
		t.Errorf("after restart: %v", err)
	}
}

func TestInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	s, err := Start(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if err := describe(t, s.Addr(), "default"); err != nil {
		t.Errorf("in-memory default namespace: %v", err)
	}
}
