export { demoPage } from './demo-page.js';
export { type DoctorOptions, type DoctorProblem, type DoctorReport, doctor, formatReport } from './doctor.js';
export {
  type Advisory,
  type AuditSources,
  convergeVersion,
  type DependencyFinding,
  dependencyFindings,
  fetchAdvisories,
  parseNpmAudit,
  type RemoteDependencies,
} from './doctor-dependencies.js';
export { CliError } from './errors.js';
export { loadConfigFile } from './load-config.js';
export { main, serve } from './main.js';
export { keygen, signManifest, verifyManifest } from './manifest-commands.js';
export {
  type NetworkAttempt,
  networkAttempts,
  type OfflineBuild,
  type OfflineResult,
  runOffline,
  type SandboxMode,
  sandboxedCommand,
  sandboxMode,
} from './offline.js';
export { createSampleApi, type SampleApiOptions } from './sample-api.js';
