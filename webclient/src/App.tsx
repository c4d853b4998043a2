import { parseRoute } from './lib/route'
import { navigate, usePathname } from './navigation'
import { useTheme } from './useTheme'
import { Home } from './components/Home'
import { RoomPage } from './components/RoomPage'
import { Missing } from './components/Missing'
import { ThemeToggle } from './components/ThemeToggle'

export function App() {
  const route = parseRoute(usePathname())
  const theme = useTheme()
  const toggle = <ThemeToggle choice={theme.choice} onChange={theme.setChoice} />
  switch (route.page) {
    case 'home':
      return <Home themeToggle={toggle} />
    case 'room':
      return <RoomPage key={route.roomId} roomId={route.roomId} isDark={theme.isDark} themeToggle={toggle} />
    case 'missing':
      return <Missing title="Page not found" detail="There is nothing at this address." onHome={() => navigate('/')} themeToggle={toggle} />
  }
}
