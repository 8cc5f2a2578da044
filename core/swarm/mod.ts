/**
 * Swarm mode: funkos as swarm services, behind the same seams as containers
 * (`InstanceBackend`, `SecretBackend`). See README.md, "Swarm".
 *
 * @module
 */
export { SWARM_CAPABILITIES, SwarmInstances } from "./instances.ts";
export {
  detectSwarm,
  parseRegistry,
  parseSwarmSetting,
  type SwarmMode,
  type SwarmSetting,
  swarmSettingsFromEnv,
} from "./mode.ts";
export { pushImage, serviceImage } from "./registry.ts";
export { SwarmSecretStore } from "./secrets.ts";
export { SwarmService } from "./service.ts";
