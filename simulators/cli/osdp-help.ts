/**
 * Help for `gatewarden-sim osdp`, in English and Chinese: the text after `--help` and the
 * answer to the `help` console command. One entry per console command, kept next to each other
 * so the two languages cannot drift apart.
 */
const COMMANDS: readonly [usage: string, en: string, zh: string][] = [
  [
    'card <addr> w26 <facility> <card> [bad-parity] [reader <n>]',
    'present a 26-bit Wiegand card',
    '刷 26 位韦根卡',
  ],
  [
    'card <addr> w34 <facility> <card> [bad-parity] [reader <n>]',
    'present a 34-bit Wiegand card',
    '刷 34 位韦根卡',
  ],
  [
    'card <addr> raw <bits> <hex> [bad-parity] [reader <n>]',
    'present raw card bits (first bit = MSB)',
    '刷原始位数据的卡',
  ],
  ['keys <addr> <keys> [reader <n>]', 'type on the keypad: 0-9 * # A-H, e.g. 1234#', '键盘输入，例如 1234#'],
  ['door <addr> open|close', 'open or close the door contact (needs --door)', '门磁开/关（需 --door）'],
  ['exit <addr>', 'press the request-to-exit button (needs --door)', '按出门按钮（需 --door）'],
  ['fire on|off [addr]', 'fire-alarm input on every PD (or one)', '消防联动输入（全部或指定读头）'],
  ['tamper <addr> on|off', 'tamper switch', '防拆开关'],
  ['power <addr> fail|ok', 'power failure status', '电源故障状态'],
  ['input <addr> <n> on|off', 'any input', '任意输入点'],
  ['fault <addr|bus> silent on|off', 'PD does not answer at all', '读头完全不应答'],
  [
    'fault <addr|bus> busy on|off [n|p]',
    'answer BUSY: always, to the next n commands, or with probability p',
    '回复 BUSY：总是、接下来 n 条、或按概率 p',
  ],
  [
    'fault <addr|bus> late on|off [ms]',
    'answer late (default 300 ms, past the 200 ms limit)',
    '延迟应答（默认 300 毫秒，超过 200 毫秒时限）',
  ],
  [
    'fault <addr|bus> drop on|off [p]',
    'lose replies with probability p (default 1)',
    '按概率丢弃应答（默认 1）',
  ],
  [
    'fault <addr|bus> corrupt on|off [p]',
    'corrupt the CRC of replies with probability p',
    '按概率破坏应答校验',
  ],
  [
    'noise on [rate] [max-bytes] | noise off',
    'random bytes on the line between exchanges (default 5/s)',
    '总线随机噪声（默认每秒 5 次）',
  ],
  [
    'status',
    'print outputs, LEDs, text, buzzer, inputs of every PD',
    '显示各读头输出、指示灯、文字、蜂鸣器、输入',
  ],
  ['wait <ms>', 'pause the script', '脚本暂停'],
  ['help', 'this list', '本帮助'],
  [
    'quit',
    'close the port and exit (also: end of input, Ctrl-C)',
    '关闭串口并退出（输入结束或 Ctrl-C 亦可）',
  ],
];

export function consoleHelp(): string {
  const width = Math.max(...COMMANDS.map(([usage]) => usage.length));
  const lines = COMMANDS.map(([usage, en, zh]) => `  ${usage.padEnd(width)}  ${en} / ${zh}`);
  return ['Commands / 命令:', ...lines, '', OUTPUT_HELP].join('\n');
}

const OUTPUT_HELP = [
  'Output, one line per event / 输出（每个事件一行）:',
  '  pd 1 output 0 on    pd 1 led 0 green    pd 1 buzzer 0 on    pd 1 text "NOT REGISTERED"',
  '  pd 1 reported RAW   pd 1 nak 0x04 POLL (…)   pd 1 secure established (SCBK)   pd 1 scbk <hex>',
  'Errors go to stderr and the simulator carries on / 错误输出到 stderr，模拟器继续运行。',
].join('\n');

export const OSDP_DESCRIPTION = [
  'Simulate OSDP readers (PDs) and their door on a serial port or one end of a socat pty pair.',
  '在串口或 socat 伪终端上模拟 OSDP 读头（PD）及其门。',
  'Commands are read from --script, or from standard input (interactive at a terminal).',
  '命令来自 --script 文件，或标准输入（终端下为交互模式）。',
].join('\n');
