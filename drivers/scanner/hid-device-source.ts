/**
 * The seam between the HID scanner driver and node-hid (style H2/H4): a device source lists
 * devices and opens one; an open device delivers input reports until it fails or is closed.
 * The driver sees only this; tests and simulators hand in a fake that emits real report bytes
 * (simulators/qr/fake-hid.ts).
 */

/** One HID interface as enumerated (node-hid `Device`, the fields the driver uses). */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  /** Platform path to open it; on Linux (hidraw) `/dev/hidrawN`, renumbered on replug. */
  path?: string;
  serialNumber?: string;
  product?: string;
  /** Top-level collection usage page: 0x8C HID POS scanner, 0x01 (usage 0x06) keyboard. */
  usagePage?: number;
  usage?: number;
  interface?: number;
}

/**
 * Contract:
 * - `onData` gets one input report per call; with numbered reports byte 0 is the report ID.
 * - `onError` fires at most once, when reading failed (the device was unplugged: node-hid has
 *   no close event, a failed read is the only sign, node-hid issue #520); no data follows it.
 *   The owner then calls `close()`.
 * - `close()` is idempotent and never rejects.
 */
export interface HidDeviceHandle {
  onData(listener: (report: Buffer) => void): void;
  onError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

/**
 * Contract:
 * - `devices()` lists the HID interfaces present now; it may reject (enumeration failed), which
 *   the driver treats as "not found this time". Every call is a full USB enumeration (costly:
 *   it slows the bus for other devices, node-hid README and PR #272), so the driver calls it
 *   only while its scanner is missing, at a modest interval.
 * - `open(path)` rejects when the device is gone or not accessible (udev permissions on Linux).
 */
export interface HidDeviceSource {
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidDeviceHandle>;
}

/**
 * The real source over node-hid's async API (`devicesAsync`, `HIDAsync.open`), recommended by
 * its README since 3.0: reads run on their own thread instead of the libuv pool, and the sync
 * `HID` class can crash when closed during a read (node-hid PR #559, which notes HIDAsync is
 * not affected). node-hid is imported on first use, so a gateway without HID scanners never
 * loads the native addon. `nonExclusive` matters only on macOS.
 */
export class NodeHidSource implements HidDeviceSource {
  async devices(): Promise<HidDeviceInfo[]> {
    const hid = await import('node-hid');
    return (await hid.devicesAsync()).map((d) => ({ ...d }));
  }

  async open(path: string): Promise<HidDeviceHandle> {
    const hid = await import('node-hid');
    const device = await hid.HIDAsync.open(path, { nonExclusive: true });
    let closed = false;
    const errorListeners: ((error: Error) => void)[] = [];
    // Registered before any data listener: an 'error' without a listener would throw. The read
    // thread passes a string, not an Error (node-hid src/read.cc), hence the wrapping.
    device.on('error', (error: unknown) => {
      const wrapped = error instanceof Error ? error : new Error(String(error));
      for (const l of errorListeners.splice(0)) l(wrapped);
    });
    return {
      onData: (listener) => {
        device.on('data', (report: Buffer) => listener(report));
      },
      onError: (listener) => {
        errorListeners.push(listener);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await device.close().catch(() => undefined);
      },
    };
  }
}
