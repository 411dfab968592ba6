// The built-in `sample` handler (POP's sample payload), run as `pop handler sample`.
//
// Payload: {"actions": [{"action": "log", "paramsMap": {"logMessage": "...",
//                                                     "sleepMilliseconds": N}},
//                       {"action": "exception", "paramsMap": {"message": "..."}}],
//           "resultPayload": <any JSON>, "exitCode": N}
// Actions run in order. "log" prints the message and sleeps, reporting progress while it
// sleeps; "exception" prints its message and fails (exit 1, or exitCode when non-zero).
// On success resultPayload is written to POP_OUTPUT_FILE and the process exits with
// exitCode (default 0).
#pragma once

namespace pop {

// Reads the payload from the environment (POP_PAYLOAD or POP_PAYLOAD_FILE). Returns the
// process exit status; a malformed payload is exit 2 with the reason on stderr.
int run_sample_handler();

}  // namespace pop
