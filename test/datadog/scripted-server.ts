import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the scripted server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the server does with one request. */
export type ScriptedReply =
  | { status: number; headers?: Record<string, string>; body?: string | object }
  /** Destroys the socket without answering: the client sees a connection reset. */
  | { destroySocket: true }
  /** Sends the status line and part of the body, then destroys the socket. */
  | { status: number; partialBody: string };

export type Responder = (request: RecordedRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Most requests the server was handling at once. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** Replies in order; any request beyond the script gets a 500 that names the overrun. */
export function inSequence(...replies: ScriptedReply[]): Responder {
  return (_request, index) =>
    replies[index] ?? {
      status: 500,
      body: { errors: [`script has ${replies.length} replies, got request ${index + 1}`] },
    };
}

/** A tiny Datadog stand-in on 127.0.0.1 whose answers each test scripts. */
export async function startScriptedServer(respond: Responder): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const index = requests.push(recorded) - 1;
      const reply = await respond(recorded, index);
      if ('destroySocket' in reply) {
        request.socket.destroy();
        return;
      }
      if ('partialBody' in reply) {
        response.writeHead(reply.status, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(reply.partialBody) + 100),
        });
        response.write(reply.partialBody, () => request.socket.destroy());
        return;
      }
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
      const isJson = typeof reply.body !== 'string';
      response.writeHead(reply.status, {
        'content-type': isJson ? 'application/json' : 'text/plain',
        ...reply.headers,
      });
      response.end(body);
    } finally {
      inFlight -= 1;
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
