/**
 * A server message serialized once for every receiver: fan-out builds one
 * `PreparedMessage` and hands the same bytes to each WebSocket and each SSE stream.
 */

/** One outgoing message, serialized once; each transport reads the form it writes. */
export class PreparedMessage {
  /** The message as JSON text. */
  readonly json: string
  #webSocketBytes: Buffer | undefined
  #sseBytes: Buffer | undefined

  constructor(message: object) {
    this.json = JSON.stringify(message)
  }

  /** UTF-8 bytes of the JSON text, for `ws` to frame as a text message. */
  get webSocketBytes(): Buffer {
    this.#webSocketBytes ??= Buffer.from(this.json)
    return this.#webSocketBytes
  }

  /** One SSE event (`data: <json>` and a blank line); JSON text has no raw newline. */
  get sseBytes(): Buffer {
    this.#sseBytes ??= Buffer.from(`data: ${this.json}\n\n`)
    return this.#sseBytes
  }
}
