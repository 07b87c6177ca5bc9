import { Module } from '@nestjs/common';
import { ContactsModule } from '../contacts/contacts.module.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { SendBatchController } from './batch/send-batch.controller.js';
import { MessageWriter } from './message-writer.js';
import { MessageQueryStore } from './query/message-query.store.js';
import { MessagesQueryController } from './query/messages-query.controller.js';
import { MessageIntake } from './send/message-intake.js';
import { SendMessageController } from './send/send-message.controller.js';
import { SendMessageUseCase } from './send/send-message.use-case.js';

@Module({
  imports: [ContactsModule, TemplatesModule],
  controllers: [SendBatchController, SendMessageController, MessagesQueryController],
  providers: [MessageIntake, MessageWriter, MessageQueryStore, SendMessageUseCase],
  exports: [MessageWriter, MessageIntake],
})
export class MessagesModule {}
