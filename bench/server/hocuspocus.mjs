// hocuspocus.mjs runs Hocuspocus 3.x in memory (no extensions: documents live as long as they
// have connections) as the peer server of make bench-server. It listens on 127.0.0.1:$PORT
// (0: a free port) and prints one JSON line, {"message":"listening","addr":"127.0.0.1:<port>"},
// once it accepts connections. pairpad load drives it with -protocol hocuspocus.
import { Server } from '@hocuspocus/server'

const server = new Server({
  port: Number(process.env.PORT ?? 0),
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: true,
})
await server.listen()
console.log(JSON.stringify({ message: 'listening', addr: `127.0.0.1:${server.address.port}` }))
