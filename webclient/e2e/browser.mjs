// browser holds what the end-to-end scripts share: the headless Chromium they drive, and
// helpers that read a room page. BASE is the server (default http://127.0.0.1:8000), SHOTS a
// directory for screenshots (none without it), CHROMIUM the browser (default /usr/bin/chromium).
import { chromium } from 'playwright-core'

export const base = process.env.BASE ?? 'http://127.0.0.1:8000'
const shots = process.env.SHOTS

export const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })

// textOf returns the editor's document as lines, leaving out ghost text and remote cursor labels.
export const textOf = (page) =>
  page.evaluate(() => {
    const c = document.querySelector('.cm-content').cloneNode(true)
    c.querySelectorAll('.cm-ghost-text, .cm-ySelectionCaret, .cm-ySelectionInfo').forEach((g) => g.remove())
    return [...c.querySelectorAll('.cm-line')].map((l) => l.textContent).join('\n')
  })
export const waitText = (page, s) => page.waitForFunction((s) => document.querySelector('.cm-content').textContent.includes(s), s, { timeout: 5000 })
export const shot = (page, name) => shots && page.screenshot({ path: `${shots}/${name}.png` })
export const step = (name) => console.log('ok', name)

// watch records in errors an uncaught error of page, or anything its Content-Security-Policy refused.
export const watch = (page, errors) => {
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/.test(m.text()) && errors.push(m.text()))
}

// openAs opens url in a new context of browser as the user name (the display name the app
// keeps), recording its errors in errors; on a room page it waits until it is connected.
export const openAs = async (browser, url, name, errors, contextOptions = {}) => {
  const context = await browser.newContext(contextOptions)
  await context.addInitScript(`localStorage.setItem('pairpad.name', ${JSON.stringify(name)})`)
  const page = await context.newPage()
  watch(page, errors)
  await page.goto(url)
  if (url.includes('/r/')) await page.waitForSelector('[data-state=connected]')
  return page
}

// createRoom creates a room in language from the home page open in page, and returns its id
// once the page is connected to it.
export const createRoom = async (page, language) => {
  await page.selectOption('select', language)
  await page.click('[data-testid=create-room]')
  await page.waitForURL(/\/r\//)
  await page.waitForSelector('[data-state=connected]')
  return new URL(page.url()).pathname.split('/').pop()
}
