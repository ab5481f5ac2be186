/**
 * `npm run lab -- [name]`: without a name lists every lab; with one prints what to open,
 * what to try and the command that starts the server.
 */
import { Command } from 'commander'
import { findLab, LAB_CATALOG } from './lab-catalog.ts'
import { renderLabGuide, renderLabList } from './lab-guide.ts'

const program = new Command()
  .name('npm run lab --')
  .description('Hands-on labs: what to open and what to try')
  .argument('[name]', 'a lab name; omit it to list every lab')
  .action((name: string | undefined) => {
    if (name === undefined) {
      process.stdout.write(renderLabList())
      return
    }
    const entry = findLab(name)
    if (entry !== undefined) {
      process.stdout.write(renderLabGuide(entry))
      return
    }
    const names = LAB_CATALOG.map((item) => item.name).join(', ')
    program.error(`unknown lab "${name}"; the labs are: ${names}`, { exitCode: 2 })
  })

program.parse()
