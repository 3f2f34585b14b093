/** Token checks of the emulator's REST API and client endpoint. */
export { bearerToken, CLOCK_TOLERANCE_SECONDS, verifyServiceToken } from './verify';
export type { TokenVerification, VerifyOptions } from './verify';
export { acceptedClientAudiences, acceptedRestAudiences, canonicalAudience } from './audiences';
