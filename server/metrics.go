package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics (GET /metrics). Each Server registers its own on
// a registry of its own: there is no global state.
type metrics struct {
	registry *prometheus.Registry
	http     http.Handler // serves the registry

	roomsLive      prometheus.Gauge
	connections    *prometheus.GaugeVec // by protocol
	updatesIn      prometheus.Counter
	framesOut      prometheus.Counter
	bytesOut       prometheus.Counter
	queueOverflows prometheus.Counter
	commitSeconds  prometheus.Histogram
	commitRooms    prometheus.Histogram
	commitEntries  prometheus.Histogram
	durableSeconds prometheus.Histogram
	storeErrors    *prometheus.CounterVec // by operation
	loadSeconds    prometheus.Histogram
	compactSeconds prometheus.Histogram
	// entriesSetAside counts the op log entries rooms could not apply, at every load.
	entriesSetAside prometheus.Counter
	roomsExpired    prometheus.Counter
	// Several nodes: the rooms whose lease this node holds, the sockets it carries to other
	// nodes, and the leases it renewed and lost.
	roomsOwned    prometheus.Gauge
	proxiedConns  prometheus.Gauge
	leaseRenewals prometheus.Counter
	leaseLosses   prometheus.Counter
	// Running code: runs by outcome, and the runs in progress.
	runs        *prometheus.CounterVec
	runsRunning prometheus.Gauge
}

// Store operations, the label of pairpad_store_errors_total.
const (
	opAppend  = "append"
	opLoad    = "load"
	opCompact = "compact"
	opOpen    = "open"    // recording that a room was opened, when it loads
	opVersion = "version" // storing a version of a room's history
	opExpire  = "expire"  // a sweep of the rooms nobody opened for ROOM_TTL
	opLease   = "lease"   // renewing the leases of the rooms this node owns
	opRun     = "run"     // keeping a finished run
)

func newMetrics() *metrics {
	latency := prometheus.ExponentialBuckets(0.0001, 2, 16) // 0.1 ms to 3.3 s
	counts := prometheus.ExponentialBuckets(1, 2, 14)       // 1 to 8192
	m := &metrics{
		registry: prometheus.NewRegistry(),
		roomsLive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pairpad_rooms_live", Help: "Rooms loaded in memory.",
		}),
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pairpad_connections", Help: "Open room WebSockets, by protocol (yjs, json).",
		}, []string{"protocol"}),
		updatesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_updates_in_total", Help: "Updates accepted into rooms (sent by clients or made by the server) and handed to the op log.",
		}),
		framesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_frames_out_total", Help: "WebSocket messages written to room connections.",
		}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_bytes_out_total", Help: "Bytes of the WebSocket messages written to room connections.",
		}),
		queueOverflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_send_queue_overflows_total", Help: "Connections closed because their send queue was full (1013).",
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pairpad_commit_seconds", Help: "Duration of each group commit to the op log.", Buckets: latency,
		}),
		commitRooms: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pairpad_commit_rooms", Help: "Rooms whose batches one group commit carried.", Buckets: counts,
		}),
		commitEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pairpad_commit_entries", Help: "Op log entries one group commit carried.", Buckets: counts,
		}),
		durableSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pairpad_update_durable_seconds",
			Help:    "Time from accepting an update to the end of the commit that made it durable, when it can be relayed: the server's part of a keystroke's latency, but for the writes to the other clients' sockets.",
			Buckets: latency,
		}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pairpad_store_errors_total", Help: "Failed store operations, by operation (append, load, compact, open: recording that a room loaded; expire: a sweep of rooms nobody opened for ROOM_TTL; lease: renewing this node's rooms' leases; run: keeping a finished run).",
		}, []string{"op"}),
		loadSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pairpad_room_load_seconds", Help: "Time to load a room from the store.", Buckets: latency,
		}),
		compactSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pairpad_compaction_seconds", Help: "Time to write a room's snapshot.", Buckets: latency,
		}),
		entriesSetAside: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_entries_set_aside_total",
			Help: "Op log entries a room could not decode or apply when it loaded, counted at every load: it loaded without them, kept them in the store and stopped compacting its log.",
		}),
		roomsExpired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_rooms_expired_total", Help: "Rooms deleted because nobody opened them for ROOM_TTL.",
		}),
		roomsOwned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pairpad_rooms_owned", Help: "Rooms whose lease this node holds (Postgres only: several nodes share it).",
		}),
		proxiedConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pairpad_proxied_connections", Help: "Room WebSockets this node carries to the node that owns their room.",
		}),
		leaseRenewals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_lease_renewals_total", Help: "Rooms' leases this node renewed.",
		}),
		leaseLosses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pairpad_lease_losses_total", Help: "Rooms this node stopped serving because it lost their lease, or could not renew it in time.",
		}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pairpad_runs_total", Help: "Runs of rooms' code, by outcome (exited: the program ended by itself, whatever its exit code; timed_out; stopped: by someone in the room; failed: the sandbox failed).",
		}, []string{"outcome"}),
		runsRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pairpad_runs_running", Help: "Runs of rooms' code in progress.",
		}),
	}
	m.registry.MustRegister(
		m.roomsLive, m.connections, m.updatesIn, m.framesOut, m.bytesOut, m.queueOverflows,
		m.commitSeconds, m.commitRooms, m.commitEntries, m.durableSeconds, m.storeErrors, m.loadSeconds, m.compactSeconds,
		m.entriesSetAside, m.roomsExpired, m.roomsOwned, m.proxiedConns, m.leaseRenewals, m.leaseLosses,
		m.runs, m.runsRunning,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, op := range []string{opAppend, opLoad, opCompact, opOpen, opExpire, opLease, opRun} {
		m.storeErrors.WithLabelValues(op) // present at zero from the start
	}
	for _, outcome := range []string{runExited, runTimedOut, runStopped, runFailed} {
		m.runs.WithLabelValues(outcome)
	}
	m.http = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

// serveMetrics answers GET /metrics in the Prometheus text format.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) { s.metrics.http.ServeHTTP(w, r) }

// since returns the seconds elapsed since start, for a histogram.
func since(start time.Time) float64 { return time.Since(start).Seconds() }
