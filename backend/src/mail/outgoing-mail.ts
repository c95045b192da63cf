/** A plain-text mail the API sends. It never carries health data: only account matters such as a registration link. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}
