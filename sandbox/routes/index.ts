// Every API the sandbox serves, each on its real paths under its prefix (temporal.config.ts SANDBOX_PATHS).
import type { RouteModule } from '../server';
import { registerIemRoutes } from './iem';
import { registerKalshiRoutes } from './kalshi';
import { registerNceiRoutes } from './ncei';
import { registerNwsRoutes } from './nws';
import { registerOpenMeteoRoutes } from './open-meteo';
import { registerVisualCrossingRoutes } from './visualcrossing';

export const ALL_ROUTES: RouteModule[] = [
  (app, world) => registerKalshiRoutes(app, world),
  registerVisualCrossingRoutes,
  registerIemRoutes,
  registerNwsRoutes,
  registerOpenMeteoRoutes,
  registerNceiRoutes,
];
