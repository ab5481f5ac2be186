/** The bus: how frames reach a server process. Memory (the plain `Feed`) or Redis Streams. */
export { BUS_DEFAULTS, busKeys, type BusStatus, type FeedSource } from './feed-source.ts'
export { StreamFeed, type StreamFeedOptions } from './stream-feed.ts'
export { StreamTicker, type StreamTickerOptions } from './stream-ticker.ts'
export { registerBusMetric, withBusHealth } from './bus-health.ts'
