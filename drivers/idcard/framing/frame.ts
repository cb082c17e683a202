/**
 * SAM frames as values (protocols.md §2.2). Offsets live in constants.ts, encoding and decoding
 * in codec.ts. A frame is never changed after it is built.
 */

/** Host → SAM. */
export interface SamRequest {
  readonly command: number;
  readonly parameter: number;
  readonly data: Buffer;
}

/** SAM → host. Only `sw3` carries the SAM's verdict; SW1/SW2 are the card's APDU status. */
export interface SamResponse {
  readonly sw1: number;
  readonly sw2: number;
  readonly sw3: number;
  readonly data: Buffer;
}

/** Which side of the line a parser listens to: the SAM reads requests, the host reads responses. */
export type FrameDirection = 'request' | 'response';

export type FrameOf<D extends FrameDirection> = D extends 'request' ? SamRequest : SamResponse;
