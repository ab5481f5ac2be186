/**
 * The one read buffer every lean HTTP and SSE socket of a thread reads into (Node's
 * `net.connect({ onread: { buffer, callback } })`): the kernel copies received bytes into
 * it, the callback parses them before it returns, and no Buffer is allocated per read.
 *
 * Module state is per thread (each worker thread loads its own copy), so the buffer is
 * shared only by the sockets of one event loop, which never read concurrently.
 */

/** Size of the shared read buffer, bytes (64 KiB: one read takes what a loopback socket holds). */
export const HTTP_READ_BUFFER_BYTES = 64 * 1024

/**
 * The thread's shared read buffer. Its contents are valid only inside the `onread` callback
 * that was handed them: copy out anything kept longer.
 */
export const httpReadBuffer: Buffer = Buffer.allocUnsafe(HTTP_READ_BUFFER_BYTES)
