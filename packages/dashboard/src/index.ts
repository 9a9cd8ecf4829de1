export type { Dashboard } from "./create-dashboard.js";
export { createDashboard } from "./create-dashboard.js";
export type { DashboardAuth, DashboardOptions } from "./options.js";
export { MIN_TOKEN_LENGTH } from "./options.js";
export { isLoopbackListenHost } from "./security.js";
