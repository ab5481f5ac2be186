/**
 * Types for xk6-sse (`k6/x/sse`), an extension stock k6 does not include and @types/k6 does
 * not describe. API: https://github.com/phymbert/xk6-sse
 */
declare module 'k6/x/sse' {
  /** Request options for {@link open}. */
  export interface SSEParams {
    method?: string
    headers?: Record<string, string>
    body?: string
    tags?: Record<string, string>
  }
  /** One server-sent event. */
  export interface SSEEvent {
    id: string
    name: string
    data: string
  }
  /** An error reported on the stream. */
  export interface SSEError {
    error(): string
  }
  /** The open stream handed to the setup callback. */
  export interface SSEClient {
    on(event: 'open', callback: () => void): void
    on(event: 'event', callback: (event: SSEEvent) => void): void
    on(event: 'error', callback: (error: SSEError) => void): void
    close(): void
  }
  /** The HTTP response of the stream, known once it closed. */
  export interface SSEResponse {
    status: number
    headers: Record<string, string>
    error: string
  }
  /** Opens a stream; returns (or, in the built-in engine, resolves to) when it closes. */
  export function open(
    url: string,
    params: SSEParams | null,
    setup: (client: SSEClient) => void,
  ): SSEResponse | Promise<SSEResponse>
  const sse: { open: typeof open }
  export default sse
}
