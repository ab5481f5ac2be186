// @ts-check
import starlightTypeDoc from 'starlight-typedoc'

/**
 * starlight-typedoc 0.21 still writes sidebar groups in the pre-0.39 shape
 * (`{ label, autogenerate: { directory, collapsed } }`), which Starlight 0.42 rejects. This wraps
 * the plugin and rewrites those groups to `{ label, collapsed, items: [{ autogenerate }] }`.
 * @param {import('starlight-typedoc').StarlightTypeDocOptions} options
 * @returns {import('@astrojs/starlight/types').StarlightPlugin}
 */
export function starlightTypeDocCompat(options) {
  const plugin = starlightTypeDoc(options)
  return {
    name: plugin.name,
    hooks: {
      async 'config:setup'(context) {
        const setup = plugin.hooks['config:setup']
        if (!setup) return
        await setup({
          ...context,
          updateConfig: (update) => {
            context.updateConfig(
              update.sidebar ? { ...update, sidebar: update.sidebar.map(rewriteItem) } : update,
            )
          },
        })
      },
    },
  }
}

/**
 * @param {unknown} item a sidebar item in either shape
 * @returns {unknown} the item in Starlight 0.42's shape
 */
function rewriteItem(item) {
  if (typeof item !== 'object' || item === null) return item
  /** @type {Record<string, unknown>} */
  const record = { ...item }
  const group = record['autogenerate']
  if (typeof group === 'object' && group !== null && 'label' in record) {
    const { collapsed, ...autogenerate } = /** @type {Record<string, unknown>} */ (group)
    delete record['autogenerate']
    return {
      ...record,
      ...(collapsed === undefined ? {} : { collapsed }),
      items: [{ autogenerate }],
    }
  }
  const items = record['items']
  if (Array.isArray(items)) return { ...record, items: items.map(rewriteItem) }
  return item
}
