"""Carrier side of delivery: SMPP links, the dispatcher that feeds them, the webhook poster.

    pdus.py        a message to submit_sm PDUs (per link: long-message method, TON/NPI);
                   a deliver_sm to a receipt or an inbound message
    link.py        LinkRunner: the binds of one link, reconnecting, with window and throttle
    dispatcher.py  Dispatcher: claims due messages, routes them to links, records outcomes,
                   receipts and inbound messages in batches
    pending.py     what the dispatcher holds until recorded: outcomes and receipts waiting
                   for a flush, kept receipts waiting for another try
    webhooks.py    the outbox poster: signed POSTs with retries
    metrics.py     Prometheus metrics of all of the above

Adapters: they use services (DeliveryService, LinkService) and the smpp library; nothing here
touches the database directly.
"""
