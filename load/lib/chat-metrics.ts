/**
 * The custom metrics of the chat scenario. Created once in the init context, as k6
 * requires.
 */
import { Counter, Trend } from 'k6/metrics'

/** End-to-end latency, ms: a receiver's clock − the sender's `sentAt`; others' messages, steady window only. */
export const chatLatency = new Trend('chat_latency', true)
/** Ack latency, ms: the sender's clock at the ack − its `sentAt`; steady window only. */
export const chatAck = new Trend('chat_ack', true)
/** Messages sent. */
export const chatSent = new Counter('chat_sent')
/** Messages received from other users. */
export const chatReceived = new Counter('chat_received')
/** `error` messages from the server, tagged by `code`. */
export const chatErrors = new Counter('chat_errors')
/** Messages still without an ack when the connection closed. */
export const chatUnacked = new Counter('chat_unacked')
/** Time from opening the socket to the `joined` message, ms. */
export const chatJoin = new Trend('chat_join', true)
