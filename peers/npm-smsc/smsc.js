#!/usr/bin/env node
// An SMSC built on the npm `smpp` package: a peer smsgate did not write, for tests and
// benchmarks of smsgate's own SMPP client.
//
//   node smsc.js [--host 127.0.0.1] [--port 2775] [--receipts] [--receipt-delay-ms 0]
//
// - accepts every bind (transmitter, receiver, transceiver), whatever the credentials;
// - answers submit_sm with incrementing message ids (decimal);
// - with --receipts, sends a delivery receipt for each submit_sm whose registered_delivery
//   asks for one: esm_class 0x04, the SMPP 3.4 appendix B text, and the receipted_message_id
//   and message_state TLVs; after --receipt-delay-ms, to the session that submitted it when
//   it can receive, else to a bound receiver;
// - reads commands on stdin, one JSON object per line:
//     {"mo": {"from": "+447700900123", "to": "12345", "text": "hello"}}
//   sends that MO as deliver_sm to a bound receiver and prints `mo_resp <command_status>`
//   (or `mo_error <reason>`);
// - prints `listening <port>` once ready (--port 0 picks a free port); exits when stdin
//   closes or on SIGTERM/SIGINT.
'use strict';

const smpp = require('smpp');

function parseArgs(argv) {
	const options = {host: '127.0.0.1', port: 2775, receipts: false, receiptDelayMs: 0};
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const value = () => {
			if (i + 1 >= argv.length) {
				throw new Error(`${arg} needs a value`);
			}
			return argv[++i];
		};
		if (arg === '--host') {
			options.host = value();
		} else if (arg === '--port') {
			options.port = Number.parseInt(value(), 10);
		} else if (arg === '--receipts') {
			options.receipts = true;
		} else if (arg === '--receipt-delay-ms') {
			options.receiptDelayMs = Number.parseInt(value(), 10);
		} else {
			throw new Error(`unknown argument ${arg}`);
		}
	}
	if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
		throw new Error('--port must be 0..65535');
	}
	if (!Number.isInteger(options.receiptDelayMs) || options.receiptDelayMs < 0) {
		throw new Error('--receipt-delay-ms must be a whole number of milliseconds');
	}
	return options;
}

function pad(n) {
	return String(n).padStart(2, '0');
}

// YYMMDDhhmm in UTC.
function smppDate(date) {
	return pad(date.getUTCFullYear() % 100) + pad(date.getUTCMonth() + 1) +
		pad(date.getUTCDate()) + pad(date.getUTCHours()) + pad(date.getUTCMinutes());
}

function messageText(pdu) {
	const message = pdu.short_message;
	if (message && typeof message.message === 'string') {
		return message.message;
	}
	return '';
}

function receiptText(messageId, submitted, text) {
	const date = smppDate(submitted);
	const shown = text.slice(0, 20).replace(/[^\x20-\x7e]/g, '?');
	return `id:${messageId} sub:001 dlvrd:001 submit date:${date} done date:${date} ` +
		`stat:DELIVRD err:000 text:${shown}`;
}

const options = parseArgs(process.argv.slice(2));
const receivers = new Set(); // sessions bound as receiver or transceiver
let nextMessageId = 1;

function pickReceiver(preferred) {
	if (preferred && receivers.has(preferred)) {
		return preferred;
	}
	for (const session of receivers) {
		return session;
	}
	return null;
}

function sendReceipt(session, submit, messageId, submitted) {
	const target = pickReceiver(session);
	if (!target) {
		return;
	}
	target.deliver_sm({
		source_addr_ton: submit.dest_addr_ton,
		source_addr_npi: submit.dest_addr_npi,
		source_addr: submit.destination_addr,
		dest_addr_ton: submit.source_addr_ton,
		dest_addr_npi: submit.source_addr_npi,
		destination_addr: submit.source_addr,
		esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
		data_coding: 0,
		short_message: Buffer.from(receiptText(messageId, submitted, messageText(submit)), 'latin1'),
		receipted_message_id: messageId,
		message_state: smpp.MESSAGE_STATE.DELIVERED,
	});
}

const server = smpp.createServer((session) => {
	const bind = (canReceive) => (pdu) => {
		session.send(pdu.response({system_id: 'npm-smsc'}));
		if (canReceive) {
			receivers.add(session);
		}
	};
	session.on('bind_transmitter', bind(false));
	session.on('bind_receiver', bind(true));
	session.on('bind_transceiver', bind(true));
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => {
		receivers.delete(session);
		session.send(pdu.response());
		session.close();
	});
	session.on('submit_sm', (pdu) => {
		const messageId = String(nextMessageId++);
		session.send(pdu.response({message_id: messageId}));
		if (options.receipts && (pdu.registered_delivery & 0x03)) {
			const submitted = new Date();
			if (options.receiptDelayMs > 0) {
				setTimeout(sendReceipt, options.receiptDelayMs, session, pdu, messageId, submitted);
			} else {
				sendReceipt(session, pdu, messageId, submitted);
			}
		}
	});
	session.on('unknown', (pdu) => session.send(pdu.response()));
	session.on('close', () => receivers.delete(session));
	session.on('error', () => receivers.delete(session)); // a reset by the peer: forget it
});

function injectMo(mo) {
	const target = pickReceiver(null);
	if (!target) {
		process.stdout.write('mo_error no bound receiver\n');
		return;
	}
	target.deliver_sm({
		source_addr_ton: 1,
		source_addr_npi: 1,
		source_addr: String(mo.from).replace(/^\+/, ''),
		dest_addr_ton: 0,
		dest_addr_npi: 1,
		destination_addr: String(mo.to),
		short_message: String(mo.text),
	}, (resp) => process.stdout.write(`mo_resp ${resp.command_status}\n`));
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
	buffered += chunk;
	let newline;
	while ((newline = buffered.indexOf('\n')) >= 0) {
		const line = buffered.slice(0, newline).trim();
		buffered = buffered.slice(newline + 1);
		if (!line) {
			continue;
		}
		let command;
		try {
			command = JSON.parse(line);
		} catch (error) {
			process.stdout.write(`mo_error bad JSON: ${error.message}\n`);
			continue;
		}
		if (command && command.mo) {
			injectMo(command.mo);
		} else {
			process.stdout.write('mo_error unknown command\n');
		}
	}
});

function stop() {
	for (const session of server.sessions.slice()) {
		session.destroy();
	}
	server.close(() => process.exit(0));
	setTimeout(() => process.exit(0), 1000).unref();
}

process.stdin.on('end', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(options.port, options.host, () => {
	process.stdout.write(`listening ${server.address().port}\n`);
});
