import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** Node's parser errors that deserve their own status; any other is a 400. */
const STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request Node's HTTP parser cannot read (an unknown method, a broken header, headers over
 * the size limit) never reaches Express: answer it in the API's error shape and close the
 * connection gracefully, instead of Node's bare 400 or a reset.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const [status, reason] = STATUS[err.code ?? ''] ?? [400, 'Bad Request'];
    const body = JSON.stringify({ error: { code: 'VALIDATION_FAILED', message: 'malformed HTTP request' } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}
