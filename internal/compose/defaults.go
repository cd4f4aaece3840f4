package compose

import "github.com/tidings-health/tidings/internal/i18n"

// Default is the text Tidings ships for a kind, channel and language ("en", "fr", or a tag
// i18n.Parse reads such as "fr-FR"), the starting point a clinic edits. ok is false for an
// unknown kind, channel or language and for an answer to an SMS (reply_*) on e-mail or push.
//
// The SMS texts fit one GSM-7 segment in English and at most two in French with typical
// values (the tests assert each count), and carry no character outside GSM-7 besides what
// the values bring.
func Default(kind Kind, ch Channel, lang string) (Template, bool) {
	loc, ok := locale(lang)
	if !ok || !offers(kind, ch) {
		return Template{}, false
	}
	var subject, body string
	if loc == i18n.French {
		subject, body = french(kind, ch)
	} else {
		subject, body = english(kind, ch)
	}
	return Template{Kind: kind, Channel: ch, Lang: loc.String(), Subject: subject, Body: body}, true
}

// english is the shipped English text of a kind on a channel (offers(kind, ch) holds).
func english(kind Kind, ch Channel) (subject, body string) {
	switch ch {
	case ChannelEmail:
		switch kind {
		case KindWaitlistOffer:
			return "A time freed up on {date} at {time}",
				"Hello {first_name},\n\n" +
					"You are on the waitlist of {clinic}: a time freed up with {practitioner} on {date} at {time}.\n\n" +
					"To take it, follow this link (first come, first served; the offer is held for a short time):\n{portal_link}\n\n" +
					"If it does not suit you, do nothing: you stay on the waitlist.\n\n{clinic}"
		case KindWaitlistTaken:
			return "The time on {date} at {time} was taken",
				"Hello {first_name},\n\n" +
					"The time with {practitioner} on {date} at {time} was taken by another patient before you. You stay on the waitlist of {clinic}, and we will tell you when another time frees up.\n\n{clinic}"
		case KindMessageAlert:
			return "A secure message from {clinic}",
				"Hello {first_name},\n\n" +
					"{clinic} sent you a secure message. To read it, sign in to your patient portal:\n{portal_link}\n\n" +
					"For your privacy, this e-mail does not contain the message.\n\n{clinic}"
		case KindInvite:
			return "Your patient portal at {clinic}",
				"Hello {first_name},\n\n" +
					"{clinic} invites you to its patient portal, where you can book, change or cancel your appointments and choose how we contact you.\n\n" +
					"To create your account, choose your password here (the link works once, for 72 hours):\n{portal_link}\n\n" +
					"If you did not expect this e-mail, you can ignore it or call us on {clinic_phone}.\n\n{clinic}"
		case KindPasswordReset:
			return "Your patient portal password at {clinic}",
				"Hello {first_name},\n\n" +
					"Someone asked to reset the password of your patient portal account at {clinic}. To choose a new password, follow this link (it works once, for one hour):\n{portal_link}\n\n" +
					"If you did not ask for it, ignore this e-mail: your password stays as it is.\n\n{clinic}"
		case KindConfirmation:
			return "Your appointment on {date} at {time}",
				"Hello {first_name},\n\n" +
					"Your appointment with {practitioner} at {clinic} is booked for {date} at {time}.\n\n" +
					"To see, change or cancel it, go to your patient portal:\n{portal_link}\n\n" +
					"If you have a question, call us on {clinic_phone}.\n\n{clinic}"
		case KindReminder:
			return "Reminder: your appointment on {date} at {time}",
				"Hello {first_name},\n\n" +
					"This is a reminder of your appointment with {practitioner} at {clinic} on {date} at {time}.\n\n" +
					"To change or cancel it, go to your patient portal:\n{portal_link}\n" +
					"or call us on {clinic_phone}.\n\n{clinic}"
		case KindReschedule:
			return "Your appointment has moved to {date} at {time}",
				"Hello {first_name},\n\n" +
					"Your appointment with {practitioner} at {clinic} has moved to {date} at {time}.\n\n" +
					"If this time does not suit you, change or cancel it in your patient portal:\n{portal_link}\n" +
					"or call us on {clinic_phone}.\n\n{clinic}"
		case KindCancellation:
			return "Your appointment on {date} is cancelled",
				"Hello {first_name},\n\n" +
					"Your appointment with {practitioner} at {clinic} on {date} at {time} has been cancelled.\n\n" +
					"To book another appointment, go to your patient portal:\n{portal_link}\n" +
					"or call us on {clinic_phone}.\n\n{clinic}"
		case KindReminderGroup:
			return "Reminder: your appointments on {date}",
				"Hello,\n\n" +
					"This is a reminder of your appointments with {practitioner} at {clinic} on {date}: {appointments}.\n\n" +
					"To change or cancel them, go to your patient portal:\n{portal_link}\n" +
					"or call us on {clinic_phone}.\n\n{clinic}"
		}
	case ChannelPush:
		switch kind {
		case KindMessageAlert:
			return "New secure message", "{clinic} sent you a secure message. Open to read it."
		case KindWaitlistOffer:
			return "A time freed up", "{clinic}: {practitioner} on {date} at {time}. Open to take it."
		case KindWaitlistTaken:
			return "Time taken", "{clinic}: the time on {date} at {time} was taken. You stay on the waitlist."
		case KindConfirmation:
			return "Appointment booked", "{first_name}, your appointment with {practitioner} at {clinic} is booked for {date} at {time}."
		case KindReminder:
			return "Appointment reminder", "{first_name}, your appointment with {practitioner} at {clinic} is on {date} at {time}."
		case KindReschedule:
			return "Appointment moved", "{first_name}, your appointment with {practitioner} at {clinic} has moved to {date} at {time}."
		case KindCancellation:
			return "Appointment cancelled", "{first_name}, your appointment with {practitioner} at {clinic} on {date} at {time} is cancelled."
		case KindReminderGroup:
			return "Appointment reminder", "{clinic}, {date}: {appointments}."
		}
	case ChannelSMS:
		switch kind {
		case KindMessageAlert:
			return "", "{clinic}: you have a new secure message. Read it in your patient portal: {portal_link}"
		case KindWaitlistOffer:
			return "", "{clinic}: a time freed up with {practitioner} on {date} at {time}. To take it: {portal_link} or reply {claim_word}"
		case KindWaitlistTaken:
			return "", "{clinic}: the time on {date} at {time} was taken by someone else. You stay on the waitlist."
		case KindConfirmation:
			return "", "{first_name}, you're booked with {practitioner} at {clinic} on {date} at {time}. To change or cancel: {portal_link}"
		case KindReminder:
			return "", "Reminder: {first_name}, your appointment with {practitioner} at {clinic} is on {date} at {time}. {reply_hint} To change, call {clinic_phone}."
		case KindReschedule:
			return "", "{first_name}, your appointment with {practitioner} at {clinic} has moved to {date} at {time}. To change: {portal_link}"
		case KindCancellation:
			return "", "{first_name}, your appointment with {practitioner} at {clinic} on {date} at {time} is cancelled. Rebook: {portal_link}"
		case KindReminderGroup:
			return "", "Reminder: {appointments} with {practitioner} at {clinic} on {date}. {reply_hint} To change, call {clinic_phone}."
		case KindReplyConfirmed:
			return "", "Thank you {first_name}, your appointment on {date} at {time} is confirmed. {clinic}"
		case KindReplyHelp:
			return "", "{clinic}: for help, call {clinic_phone}. Reply STOP to stop our texts, START to get them again."
		case KindReplyStop:
			return "", "{clinic}: you will no longer get texts from us. Reply START to get them again."
		case KindReplyStart:
			return "", "{clinic}: you will get our texts again. Reply STOP to stop them."
		}
	}
	return "", ""
}

// french is the shipped French text of a kind on a channel (offers(kind, ch) holds). The
// clinic's name opens the SMS ("Cabinet médical du Parc : …") rather than following a
// preposition, since French would need "au", "à la" or "chez" depending on the name.
func french(kind Kind, ch Channel) (subject, body string) {
	switch ch {
	case ChannelEmail:
		switch kind {
		case KindMessageAlert:
			return "Un message sécurisé de {clinic}",
				"Bonjour {first_name},\n\n" +
					"{clinic} vous a envoyé un message sécurisé. Pour le lire, connectez-vous à votre portail patient :\n{portal_link}\n\n" +
					"Pour protéger votre vie privée, cet e-mail ne contient pas le message.\n\n{clinic}"
		case KindWaitlistOffer:
			return "Un horaire s’est libéré le {date} à {time}",
				"Bonjour {first_name},\n\n" +
					"Vous êtes sur la liste d’attente de {clinic} : un horaire s’est libéré avec {practitioner} le {date} à {time}.\n\n" +
					"Pour le prendre, suivez ce lien (premier arrivé, premier servi ; l’offre est réservée peu de temps) :\n{portal_link}\n\n" +
					"S’il ne vous convient pas, ne faites rien : vous restez sur la liste d’attente.\n\n{clinic}"
		case KindWaitlistTaken:
			return "L’horaire du {date} à {time} a été pris",
				"Bonjour {first_name},\n\n" +
					"L’horaire avec {practitioner} le {date} à {time} a été pris par un autre patient avant vous. Vous restez sur la liste d’attente de {clinic} et nous vous préviendrons quand un autre horaire se libérera.\n\n{clinic}"
		case KindInvite:
			return "Votre portail patient chez {clinic}",
				"Bonjour {first_name},\n\n" +
					"{clinic} vous invite sur son portail patient, où vous pouvez prendre, déplacer ou annuler vos rendez-vous et choisir comment nous vous contactons.\n\n" +
					"Pour créer votre compte, choisissez votre mot de passe ici (le lien ne sert qu’une fois, pendant 72 heures) :\n{portal_link}\n\n" +
					"Si vous n’attendiez pas ce message, ignorez-le ou appelez-nous au {clinic_phone}.\n\n{clinic}"
		case KindPasswordReset:
			return "Votre mot de passe du portail patient chez {clinic}",
				"Bonjour {first_name},\n\n" +
					"Quelqu’un a demandé à réinitialiser le mot de passe de votre compte du portail patient chez {clinic}. Pour choisir un nouveau mot de passe, suivez ce lien (il ne sert qu’une fois, pendant une heure) :\n{portal_link}\n\n" +
					"Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste le même.\n\n{clinic}"
		case KindConfirmation:
			return "Votre rendez-vous du {date} à {time}",
				"Bonjour {first_name},\n\n" +
					"Votre rendez-vous avec {practitioner} est confirmé pour le {date} à {time}.\n\n" +
					"Pour le consulter, le modifier ou l'annuler, connectez-vous à votre espace patient :\n{portal_link}\n\n" +
					"Pour toute question, appelez-nous au {clinic_phone}.\n\n{clinic}"
		case KindReminder:
			return "Rappel : votre rendez-vous du {date} à {time}",
				"Bonjour {first_name},\n\n" +
					"Nous vous rappelons votre rendez-vous avec {practitioner} le {date} à {time}.\n\n" +
					"Pour le modifier ou l'annuler, connectez-vous à votre espace patient :\n{portal_link}\n" +
					"ou appelez-nous au {clinic_phone}.\n\n{clinic}"
		case KindReschedule:
			return "Votre rendez-vous est déplacé au {date} à {time}",
				"Bonjour {first_name},\n\n" +
					"Votre rendez-vous avec {practitioner} est déplacé au {date} à {time}.\n\n" +
					"Si cet horaire ne vous convient pas, vous pouvez le modifier ou l'annuler depuis votre espace patient :\n{portal_link}\n" +
					"ou appelez-nous au {clinic_phone}.\n\n{clinic}"
		case KindCancellation:
			return "Votre rendez-vous du {date} est annulé",
				"Bonjour {first_name},\n\n" +
					"Votre rendez-vous avec {practitioner} du {date} à {time} est annulé.\n\n" +
					"Pour prendre un nouveau rendez-vous, connectez-vous à votre espace patient :\n{portal_link}\n" +
					"ou appelez-nous au {clinic_phone}.\n\n{clinic}"
		case KindReminderGroup:
			return "Rappel : vos rendez-vous du {date}",
				"Bonjour,\n\n" +
					"Nous vous rappelons vos rendez-vous avec {practitioner} le {date} : {appointments}.\n\n" +
					"Pour les modifier ou les annuler, connectez-vous à votre espace patient :\n{portal_link}\n" +
					"ou appelez-nous au {clinic_phone}.\n\n{clinic}"
		}
	case ChannelPush:
		switch kind {
		case KindMessageAlert:
			return "Nouveau message sécurisé", "{clinic} vous a envoyé un message sécurisé. Ouvrez pour le lire."
		case KindWaitlistOffer:
			return "Un horaire s’est libéré", "{clinic} : {practitioner} le {date} à {time}. Ouvrez pour le prendre."
		case KindWaitlistTaken:
			return "Horaire pris", "{clinic} : l’horaire du {date} à {time} a été pris. Vous restez sur la liste d’attente."
		case KindConfirmation:
			return "Rendez-vous confirmé", "{first_name}, votre rendez-vous avec {practitioner} ({clinic}) est confirmé pour le {date} à {time}."
		case KindReminder:
			return "Rappel de rendez-vous", "{first_name}, vous avez rendez-vous avec {practitioner} ({clinic}) le {date} à {time}."
		case KindReschedule:
			return "Rendez-vous déplacé", "{first_name}, votre rendez-vous avec {practitioner} ({clinic}) est déplacé au {date} à {time}."
		case KindCancellation:
			return "Rendez-vous annulé", "{first_name}, votre rendez-vous avec {practitioner} ({clinic}) du {date} à {time} est annulé."
		case KindReminderGroup:
			return "Rappel de rendez-vous", "{clinic}, {date} : {appointments}."
		}
	case ChannelSMS:
		switch kind {
		case KindMessageAlert:
			return "", "{clinic} : vous avez un nouveau message sécurisé. Lisez-le sur votre portail patient : {portal_link}"
		case KindWaitlistOffer:
			return "", "{clinic} : un horaire s'est libéré avec {practitioner} le {date} à {time}. Pour le prendre : {portal_link} ou répondez {claim_word}"
		case KindWaitlistTaken:
			return "", "{clinic} : l'horaire du {date} à {time} a été pris par quelqu'un d'autre. Vous restez sur la liste d'attente."
		case KindConfirmation:
			return "", "{clinic} : Bonjour {first_name}, votre rendez-vous avec {practitioner} le {date} à {time} est confirmé. Pour le modifier ou l'annuler : {portal_link}"
		case KindReminder:
			return "", "Rappel : {first_name}, vous avez rendez-vous avec {practitioner} ({clinic}) le {date} à {time}. {reply_hint} Pour modifier ou annuler, appelez le {clinic_phone}."
		case KindReschedule:
			return "", "{clinic} : Bonjour {first_name}, votre rendez-vous avec {practitioner} est déplacé au {date} à {time}. Pour le modifier ou l'annuler : {portal_link}"
		case KindCancellation:
			return "", "{clinic} : Bonjour {first_name}, votre rendez-vous avec {practitioner} du {date} à {time} est annulé. Pour reprendre rendez-vous : {portal_link}"
		case KindReminderGroup:
			return "", "Rappel : rendez-vous de {appointments} avec {practitioner} ({clinic}) le {date}. {reply_hint} Pour modifier ou annuler, appelez le {clinic_phone}."
		case KindReplyConfirmed:
			return "", "Merci {first_name}, votre rendez-vous du {date} à {time} est confirmé. {clinic}"
		case KindReplyHelp:
			return "", "{clinic} : pour toute question, appelez le {clinic_phone}. Répondez STOP pour ne plus recevoir nos SMS, START pour les recevoir de nouveau."
		case KindReplyStop:
			return "", "{clinic} : vous ne recevrez plus nos SMS. Répondez START pour les recevoir de nouveau."
		case KindReplyStart:
			return "", "{clinic} : vous recevrez de nouveau nos SMS. Répondez STOP pour ne plus les recevoir."
		}
	}
	return "", ""
}
