package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// DefaultNamespace is always registered, whatever Config.Namespaces says:
// clients and tools that name no namespace use it.
const DefaultNamespace = "default"

// clusterName is the single cluster's name in the cluster metadata.
const clusterName = "active"

// Port layout relative to Config.Port (the frontend gRPC port). The other
// services listen on the next ports so that a restarted server on the same
// DB binds the same addresses; the membership ports are reserved for the
// server's configuration although static hosts make membership unused.
const (
	offsetHistory = 1 + iota
	offsetMatching
	offsetWorker
	offsetFrontendMembership
	offsetHistoryMembership
	offsetMatchingMembership
	offsetWorkerMembership
	portsUsed // number of consecutive ports from Config.Port
)

// Config configures an embedded server. The zero value (plus a Port) is a
// quiet in-memory server on 127.0.0.1 with the "default" namespace.
type Config struct {
	// DBPath is the SQLite database file. Empty means an in-memory database
	// that is lost when the server stops. The schema is created when the
	// file does not exist yet; its directory must exist.
	DBPath string
	// IP the frontend binds to. Empty means 127.0.0.1.
	IP string
	// Port is the frontend gRPC port; the next PortsUsed()-1 ports are used by
	// the other services. 0 picks a free block.
	Port int
	// Namespaces to register if missing, in addition to "default".
	Namespaces []string
	// Logger receives the server's logs. Nil discards them.
	Logger *slog.Logger
	// LogLevel is the lowest level forwarded to Logger. The zero value is
	// slog.LevelInfo; use slog.LevelWarn (the CLI default) for a quiet server.
	LogLevel slog.Level
	// ReadyTimeout bounds how long Start waits for the frontend to answer.
	// 0 means one minute.
	ReadyTimeout time.Duration
}

// PortsUsed is how many consecutive ports, starting at Config.Port, a
// server binds.
func PortsUsed() int { return portsUsed }

// Server is a running embedded Temporal server.
type Server struct {
	srv       temporal.Server
	addr      string
	namespace []string
	keeper    io.Closer      // in-memory database only
	level     *slog.LevelVar // the server logger's threshold
	stopOnce  sync.Once
	stopErr   error
}

// Addr is the frontend's host:port, for client.Options.HostPort.
func (s *Server) Addr() string { return s.addr }

// Namespaces lists the registered namespaces ("default" first).
func (s *Server) Namespaces() []string { return append([]string(nil), s.namespace...) }

// Stop shuts the server down; it is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		// Services stopping one by one log connection errors about each
		// other ("context canceled"); silence the server's log from here on.
		// A failed shutdown is still reported through Stop's error.
		s.level.Set(slog.LevelError + 4)
		if err := s.srv.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devserver: stopping temporal server at %s: %w", s.addr, err)
		}
		if s.keeper != nil {
			if err := s.keeper.Close(); err != nil && s.stopErr == nil {
				s.stopErr = fmt.Errorf("devserver: closing in-memory database: %w", err)
			}
		}
	})
	return s.stopErr
}

// ErrPortBusy reports that a port the server needs is already bound.
var ErrPortBusy = errors.New("port already in use")

// Start validates cfg, prepares the SQLite database (schema and
// namespaces), starts all four Temporal services in this process and waits
// until the frontend answers a DescribeNamespace call or ctx / ReadyTimeout
// ends. On any error nothing is left running.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if net.ParseIP(cfg.IP) == nil {
		return nil, fmt.Errorf("devserver: IP %q is not an IP address", cfg.IP)
	}
	if cfg.Port < 0 || cfg.Port+portsUsed-1 > 65535 {
		return nil, fmt.Errorf("devserver: port %d out of range: need %d consecutive ports up to 65535", cfg.Port, portsUsed)
	}
	if cfg.Port == 0 {
		p, err := FreePortBlock(cfg.IP, portsUsed)
		if err != nil {
			return nil, err
		}
		cfg.Port = p
	} else if err := CheckPortsFree(cfg.IP, cfg.Port, portsUsed); err != nil {
		return nil, err
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = time.Minute
	}
	namespaces := []string{DefaultNamespace}
	for _, ns := range cfg.Namespaces {
		if ns == "" {
			return nil, errors.New("devserver: empty namespace name in Config.Namespaces")
		}
		dup := false
		for _, have := range namespaces {
			dup = dup || have == ns
		}
		if !dup {
			namespaces = append(namespaces, ns)
		}
	}

	sqlConf, keeper, err := prepareDB(cfg.DBPath, namespaces)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started && keeper != nil {
			_ = keeper.Close()
		}
	}()
	conf := buildConfig(cfg, sqlConf)

	level := new(slog.LevelVar)
	level.Set(cfg.LogLevel)
	logger := slogLogger{l: cfg.Logger, minLevel: level}
	if cfg.Logger == nil {
		logger.l = slog.New(slog.NewTextHandler(io.Discard, nil))
		level.Set(slog.LevelError + 1)
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devserver: creating authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devserver: creating claim mapper: %w", err)
	}

	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(hostPort(cfg.IP, cfg.Port)),
		primitives.HistoryService:  static.SingleLocalHost(hostPort("127.0.0.1", cfg.Port+offsetHistory)),
		primitives.MatchingService: static.SingleLocalHost(hostPort("127.0.0.1", cfg.Port+offsetMatching)),
		primitives.WorkerService:   static.SingleLocalHost(hostPort("127.0.0.1", cfg.Port+offsetWorker)),
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: creating temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop()
		return nil, fmt.Errorf("devserver: starting temporal server on %s: %w", hostPort(cfg.IP, cfg.Port), err)
	}
	started = true
	s := &Server{srv: srv, addr: hostPort(cfg.IP, cfg.Port), namespace: namespaces, keeper: keeper, level: level}

	readyCtx, cancel := context.WithTimeout(ctx, cfg.ReadyTimeout)
	defer cancel()
	if err := WaitReady(readyCtx, s.addr, namespaces[len(namespaces)-1]); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// prepareDB returns the SQL persistence config for path, creating the schema
// when the file does not exist and registering missing namespaces. For an
// in-memory database it also returns an open handle that keeps the database
// alive (SQLite drops a memory database when its last connection closes);
// the caller closes it after stopping the server.
func prepareDB(path string, namespaces []string) (*config.SQL, io.Closer, error) {
	conf := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	var keeper io.Closer
	if path == "" {
		// A fresh name per server: shared-cache memory databases with the
		// same name would be shared between servers in one process. The
		// plugin creates the schema when it opens a memory database.
		conf.ConnectAttributes["mode"] = "memory"
		conf.ConnectAttributes["cache"] = "shared"
		conf.DatabaseName = "umbra-mem-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		db, err := sql.NewSQLDB(sqlplugin.DbKindUnknown, conf, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
		if err != nil {
			return nil, nil, fmt.Errorf("devserver: opening in-memory database: %w", err)
		}
		keeper = db
	} else {
		conf.ConnectAttributes["mode"] = "rwc"
		conf.DatabaseName = path
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(filepath.Dir(path)); err != nil {
				return nil, nil, fmt.Errorf("devserver: directory for database file %s: %w", path, err)
			}
			if err := sqliteschema.SetupSchema(conf); err != nil {
				return nil, nil, fmt.Errorf("devserver: creating schema in %s: %w", path, err)
			}
		} else if err != nil {
			return nil, nil, fmt.Errorf("devserver: database file %s: %w", path, err)
		}
	}
	fail := func(err error) (*config.SQL, io.Closer, error) {
		if keeper != nil {
			_ = keeper.Close()
		}
		return nil, nil, err
	}
	nsConfs := make([]*sqliteschema.NamespaceConfig, 0, len(namespaces))
	for _, ns := range namespaces {
		c, err := sqliteschema.NewNamespaceConfig(clusterName, ns, false, nil)
		if err != nil {
			return fail(fmt.Errorf("devserver: namespace %q: %w", ns, err))
		}
		nsConfs = append(nsConfs, c)
	}
	if err := sqliteschema.CreateNamespaces(conf, nsConfs...); err != nil {
		return fail(fmt.Errorf("devserver: registering namespaces %v in %s: %w", namespaces, dbName(path), err))
	}
	return conf, keeper, nil
}

func dbName(path string) string {
	if path == "" {
		return "in-memory database"
	}
	return path
}

// buildConfig is the static server configuration: one history shard, the
// SQLite store for both persistence and visibility, archival off.
func buildConfig(cfg Config, sqlConf *config.SQL) *config.Config {
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = "127.0.0.1"
	conf.Persistence.DefaultStore = "sqlite-default"
	conf.Persistence.VisibilityStore = "sqlite-default"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite-default": {SQL: sqlConf}}
	frontend := hostPort(cfg.IP, cfg.Port)
	conf.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	service := func(grpcOffset, membershipOffset int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = cfg.Port + grpcOffset
		s.RPC.MembershipPort = cfg.Port + membershipOffset
		s.RPC.BindOnLocalHost = true
		return s
	}
	fe := service(0, offsetFrontendMembership)
	fe.RPC.BindOnLocalHost = false
	fe.RPC.BindOnIP = cfg.IP
	conf.Services = map[string]config.Service{
		"frontend": fe,
		"history":  service(offsetHistory, offsetHistoryMembership),
		"matching": service(offsetMatching, offsetMatchingMembership),
		"worker":   service(offsetWorker, offsetWorkerMembership),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &conf
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// CheckPortsFree returns an error wrapping ErrPortBusy naming the first of
// the n ports from first on ip that cannot be bound. The Temporal server
// panics in a background goroutine on a busy port, so this is checked
// before starting it (a race with another process remains possible).
func CheckPortsFree(ip string, first, n int) error {
	for p := first; p < first+n; p++ {
		ln, err := net.Listen("tcp", hostPort(ip, p))
		if err != nil {
			return fmt.Errorf("devserver: port %d on %s (needed: %d..%d): %w: %v", p, ip, first, first+n-1, ErrPortBusy, err)
		}
		if err := ln.Close(); err != nil {
			return fmt.Errorf("devserver: releasing probe of port %d: %w", p, err)
		}
	}
	return nil
}

// FreePortBlock finds n consecutive free ports on ip, starting at a port the
// kernel hands out.
func FreePortBlock(ip string, n int) (int, error) {
	for range 50 {
		ln, err := net.Listen("tcp", hostPort(ip, 0))
		if err != nil {
			return 0, fmt.Errorf("devserver: probing for a free port on %s: %w", ip, err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if p+n-1 > 65535 {
			continue
		}
		if CheckPortsFree(ip, p, n) == nil {
			return p, nil
		}
	}
	return 0, fmt.Errorf("devserver: no block of %d free consecutive ports found on %s", n, ip)
}

// WaitReady polls the frontend at addr until it describes namespace, or ctx
// ends.
func WaitReady(ctx context.Context, addr, namespace string) error {
	var lastErr error
	for {
		lastErr = probe(ctx, addr, namespace)
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: frontend %s not ready (namespace %q): %w (last error: %v)", addr, namespace, ctx.Err(), lastErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func probe(ctx context.Context, addr, namespace string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: namespace, Logger: quietSDKLogger()})
	if err != nil {
		return err
	}
	defer c.Close()
	callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = c.WorkflowService().DescribeNamespace(callCtx, describeNamespaceRequest(namespace))
	return err
}
