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
 * @param {any} item a sidebar item in either shape
 * @returns {any} the item in Starlight 0.42's shape
 */
function rewriteItem(item) {
  if (typeof item !== 'object' || item === null) return item
  if ('autogenerate' in item && 'label' in item) {
    const { collapsed, ...autogenerate } = item.autogenerate
    const { autogenerate: _old, ...rest } = item
    return { ...rest, ...(collapsed === undefined ? {} : { collapsed }), items: [{ autogenerate }] }
  }
  if (Array.isArray(item.items)) return { ...item, items: item.items.map(rewriteItem) }
  return item
}
