/* Generated from schemas/plan-file.schema.json by scripts/gen-schema-types.mjs. Do not edit: edit the schema and run npm run gen:types. */

import type { BoardState } from './board-state.js';
import type { Plan } from './plan.js';

/**
 * A reviewed plan, written by `copro plan <manifest> --out plan.json` and carried out by `copro apply plan.json` (as `terraform plan -out` / `terraform apply planfile`). apply reads every board again and runs only if the plan it computes is this one, step for step and image for image; otherwise it refuses (exit 3) and shows the difference.
 */
export interface PlanFile {
  planFileVersion: 1;
  /**
   * ISO 8601.
   */
  createdAt: string;
  /**
   * The copro version that made the plan.
   */
  copro: string;
  manifest: {
    /**
     * The manifest, relative to the plan file's folder.
     */
    path: string;
    /**
     * The manifest's bytes when the plan was made: apply refuses if they changed.
     */
    sha256: string;
  };
  connection: {
    /**
     * Planned on simulated boards (`--simulate`).
     */
    simulated: boolean;
    port: string;
  };
  /**
   * @minItems 1
   */
  boards: [
    {
      /**
       * The board's serial number (upper-case).
       */
      board: string;
      plan: Plan;
      /**
       * The read the plan was made from.
       */
      state: BoardState;
    },
    ...{
      /**
       * The board's serial number (upper-case).
       */
      board: string;
      plan: Plan;
      /**
       * The read the plan was made from.
       */
      state: BoardState;
    }[]
  ];
}
